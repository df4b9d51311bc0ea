from decimal import Decimal

from odoo import Command

from .common import QboTestCommon

CENT = Decimal("0.01")


def money(value):
    return Decimal(str(value)).quantize(CENT)


class AmountCasesMixin:
    """Export each case, then compare QuickBooks' own TotalAmt and TotalTax with Odoo's, to the cent."""

    def check_case(self, move, untaxed, tax, total, qbo_tax=None):
        """Odoo computed ``untaxed``/``tax``/``total``; QuickBooks' server-side figures match to the cent."""
        self.assertEqual((money(move.amount_untaxed), money(move.amount_tax), money(move.amount_total)),
                         (Decimal(untaxed), Decimal(tax), Decimal(total)), "Odoo's own figures changed")
        self.export(move)
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        doc = self.qbo_doc(move)
        self.assertEqual(money(doc["TotalAmt"]), Decimal(total))
        self.assertEqual(money((doc.get("TxnTaxDetail") or {}).get("TotalTax", 0)),
                         Decimal(tax if qbo_tax is None else qbo_tax))
        subtotal = sum(money(line["Amount"]) for line in doc["Line"] if line["DetailType"] in (
            "SalesItemLineDetail", "ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail"))
        discount = sum(money(line["Amount"]) for line in doc["Line"] if line["DetailType"] == "DiscountLineDetail")
        if qbo_tax is None:
            self.assertEqual(subtotal - discount, Decimal(untaxed))
        for line in doc["Line"]:
            detail = line.get("SalesItemLineDetail") or line.get("ItemBasedExpenseLineDetail") or {}
            if detail.get("Qty") and detail.get("UnitPrice"):
                self.assertEqual(money(Decimal(str(detail["Qty"])) * Decimal(str(detail["UnitPrice"]))),
                                 money(line["Amount"]))
        self.assertEqual((move.qbo_amount_total, move.qbo_amount_tax),
                         (float(total), float(tax if qbo_tax is None else qbo_tax)))
        return doc


class QboMoveExportCommon(QboTestCommon):
    """A connected company with default QuickBooks accounts, an item for lines without product and
    its sales taxes mapped to the sandbox's tax codes; helpers to make documents and look into QuickBooks."""

    sandbox_company = {"name": "Sandbox Company_US_1", "multicurrency": True}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls.env["product.product"].create({"name": "QBO Services", "type": "service",
                                                         "list_price": 100.0})
        cls.company.write({
            "qbo_default_income_account_id": cls.company_data["default_account_revenue"].id,
            "qbo_default_expense_account_id": cls.company_data["default_account_expense"].id,
            "qbo_default_product_id": cls.service.id,
        })
        cls.client = cls.company._qbo_get_client()

    def setUp(self):
        super().setUp()
        # QuickBooks is not rolled back with the test: forget the documents of the previous tests
        # (Odoo numbers its documents again from the start in each test).
        for entity in ("Payment", "Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt", "Bill", "VendorCredit"):
            for doc in self.qbo_sandbox_company.all(entity):
                self.qbo_sandbox_company.remove(entity, doc["Id"])

    # ---- Odoo side ----

    @classmethod
    def make_tax(cls, name, amount, type_tax_use="sale", **values):
        return cls.env["account.tax"].create({
            "name": name, "amount": amount, "amount_type": "percent", "type_tax_use": type_tax_use,
            "company_id": cls.company.id, **values,
        })

    @classmethod
    def map_tax(cls, tax, code_name):
        """Map an Odoo tax to the sandbox tax code named ``code_name`` (TAX/NON for US line codes)."""
        code = next(code for code in cls.qbo_sandbox_company.all("TaxCode") if code["Name"] == code_name)
        cls.env["qbo.tax.map"]._qbo_link(cls.company, tax, {"id": code["Id"], "name": code["Name"]},
                                         cls.qbo_sandbox_company.country == "US")

    def make_partner(self, name, **values):
        return self.env["res.partner"].create({"name": name, "is_company": True, "email": f"{name[:8]}@example.com"
                                               .replace(" ", "").lower(), **values})

    def make_move(self, move_type="out_invoice", partner=None, lines=(), post=True, **values):
        """Create a document; ``lines`` are dicts of line values (a ``product_id`` defaults to the service)."""
        move = self.env["account.move"].create({
            "move_type": move_type,
            "partner_id": (partner or self.partner_a).id,
            "invoice_date": values.pop("invoice_date", "2019-01-01"),
            "invoice_line_ids": [Command.create({"product_id": self.service.id, "tax_ids": [Command.clear()],
                                                 **line}) for line in lines],
            **values,
        })
        if post:
            move.action_post()
        return move

    # ---- QuickBooks side ----

    def qbo_docs(self, entity, **where):
        """The sandbox's records of ``entity`` matching ``where`` exactly."""
        return [doc for doc in self.qbo_sandbox_company.all(entity)
                if all(doc.get(key) == value for key, value in where.items())]

    def qbo_doc(self, move):
        entity = {"out_invoice": "Invoice", "out_refund": "CreditMemo", "in_invoice": "Bill",
                  "in_refund": "VendorCredit"}[move.move_type]
        return self.qbo_sandbox_company.get(entity, move.qbo_id)

    def export(self, moves, user=None):
        return moves.with_user(user or self.qbo_manager).action_qbo_export()

    def assert_amounts(self, move):
        """QuickBooks' own total and tax equal Odoo's to the cent, and the move says so."""
        doc = self.qbo_doc(move)
        self.assertTrue(doc, f"{move.name} is not in QuickBooks")
        total = Decimal(str(doc["TotalAmt"]))
        tax = Decimal(str((doc.get("TxnTaxDetail") or {}).get("TotalTax", 0)))
        self.assertEqual(total, Decimal(str(move.amount_total)).quantize(Decimal("0.01")), move.name)
        self.assertEqual(move.qbo_state, "exported", move.qbo_error)
        return total, tax


class BritishColumbiaMixin:
    """A British Columbia company in CAD: GST 5 % and PST 7 % (excluded, and included in the price), two
    separate Odoo taxes, all mapped to QuickBooks' GST/PST BC code. Mixed in before a ``QboMoveExportCommon``."""

    country_code = "CA"
    chart_template = "generic_coa"
    sandbox_company = {"name": "Sandbox Company_CA_1", "country": "CA"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gst = cls.make_tax("GST 5%", 5.0)
        cls.pst = cls.make_tax("PST 7%", 7.0)
        cls.gst_incl = cls.make_tax("GST 5% incl.", 5.0, price_include_override="tax_included")
        cls.pst_incl = cls.make_tax("PST 7% incl.", 7.0, price_include_override="tax_included")
        for tax in cls.gst | cls.pst | cls.gst_incl | cls.pst_incl:
            cls.map_tax(tax, "GST/PST BC")


class QboTwoCompaniesCommon(QboMoveExportCommon):
    """A second company (``cls.other``), connected to a QuickBooks company of its own (``cls.other_qbo``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="Lanes Second Co")
        other = cls.other["company"]
        other.write({
            "qbo_client_id": cls.SANDBOX_CLIENT_ID, "qbo_client_secret": cls.SANDBOX_CLIENT_SECRET,
            "qbo_environment": "custom", "qbo_discovery_url": cls.sandbox_server.discovery_url,
            "qbo_default_income_account_id": cls.other["default_account_revenue"].id,
            "qbo_default_expense_account_id": cls.other["default_account_expense"].id,
            "qbo_default_product_id": cls.service.id,
        })
        cls.admin_user.company_ids |= other
        cls.other_qbo = cls.create_sandbox_company("Lanes Second QuickBooks")
        cls.qbo_connect(other, cls.other_qbo.realm_id)

    def queued(self, company, prices):
        """Posted invoices of ``company``, one per price, queued for export."""
        moves = self.env["account.move"]
        for price in prices:
            move = self.env["account.move"].with_company(company).create({
                "move_type": "out_invoice", "partner_id": self.partner_a.id, "invoice_date": "2019-01-01",
                "invoice_line_ids": [Command.create({"product_id": self.service.id, "price_unit": price,
                                                     "tax_ids": [Command.clear()]})],
            })
            move.action_post()
            moves |= move
        moves._qbo_write({"qbo_state": "to_send"})
        return moves
