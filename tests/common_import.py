from odoo import fields

from .common_move import QboMoveExportCommon


class QboDocumentImportCommon(QboMoveExportCommon):
    """A company that imports the documents created in QuickBooks, with a QuickBooks customer, vendor and
    service item to type them with."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"qbo_import_documents": True, "qbo_import_start_date": "2019-01-01"})
        cls.qbo_customer = cls.client.create("Customer", {"DisplayName": "Born In QuickBooks Inc"})
        cls.qbo_vendor = cls.client.create("Vendor", {"DisplayName": "Paper Mill Supplies"})
        accounts = {account["Name"]: account["Id"] for account in cls.qbo_sandbox_company.all("Account")}
        cls.qbo_item = cls.client.create("Item", {"Name": "Bookkeeping Hour", "Type": "Service",
                                                  "IncomeAccountRef": {"value": accounts["Services"]},
                                                  "ExpenseAccountRef": {"value": accounts["Office Expenses"]}})
        cls.office = accounts["Office Expenses"]
        cls.checking = accounts["Checking"]

    def tax_code(self, name):
        return next(code["Id"] for code in self.qbo_sandbox_company.all("TaxCode") if code["Name"] == name)

    def sales_line(self, qty, price, tax_code, **detail):
        return {"DetailType": "SalesItemLineDetail", "Amount": round(qty * price, 2),
                "SalesItemLineDetail": {"ItemRef": {"value": self.qbo_item["Id"]}, "Qty": qty, "UnitPrice": price,
                                        "TaxCodeRef": {"value": tax_code}, **detail}}

    def qbo_invoice(self, lines, tax_code="California", **values):
        """An invoice typed in QuickBooks: ``lines`` are ``(qty, price, taxable)``."""
        return self.client.create("Invoice", {
            "CustomerRef": {"value": self.qbo_customer["Id"]}, "TxnDate": "2019-02-01",
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": self.tax_code(tax_code)}},
            "Line": [self.sales_line(qty, price, "TAX" if taxable else "NON") for qty, price, taxable in lines],
            **values,
        })

    def imported(self, doc, move_type="out_invoice"):
        return self.env["account.move"].search([("company_id", "=", self.company.id), ("qbo_id", "=", doc["Id"]),
                                                ("move_type", "=", move_type)])

    def pull(self, model="qbo.invoice.import"):
        return self.env[model]._qbo_pull(self.company, 200)

    def next_run(self, model="qbo.invoice.import"):
        """The import job's next run reads what changed since the cursor."""
        return self.env[model].with_context(lastcall=fields.Datetime.now())._qbo_pull(self.company, 200)
