import json
from decimal import Decimal as D

import requests

from odoo.tests import tagged

from ..qbo_sandbox.company import Company
from .common_sandbox import TIMEOUT, SandboxApiCase


@tagged("post_install", "-at_install")
class TestSandboxSwitches(SandboxApiCase):
    """What the sandbox offers tests beyond QuickBooks' rules: the explicit-tax switch, the journal of
    requests received, and the Canadian combined tax code."""

    def rates(self, code_name, rate_list="SalesTaxRateList"):
        code = next(code for code in self.qbo.all("TaxCode") if code["Name"] == code_name)
        return code["Id"], [detail["TaxRateRef"]["value"] for detail in code[rate_list]["TaxRateDetail"]]

    @staticmethod
    def tax_lines(doc):
        return [(line["TaxLineDetail"]["TaxRateRef"]["value"], line["Amount"])
                for line in doc["TxnTaxDetail"]["TaxLine"]]

    def test_explicit_tax_ignored_when_switched_off(self):
        """explicit_tax=False (a control-API option): the TotalTax sent is ignored, the tax computed."""
        answer = requests.post(f"{self.sandbox_server.url}/_sandbox/companies", timeout=TIMEOUT,
                               json={"name": "Own Tax Co", "explicit_tax": False})
        self.assertEqual(answer.status_code, 201, answer.text)
        self.assertIs(self.sandbox.companies[answer.json()["realm_id"]].explicit_tax, False)
        self.use_company(explicit_tax=False)
        customer_id, item_id = self.customer(), self.item(Taxable=True)
        california, _rates = self.rates("California")
        line = self.sales_line(item_id, D("123.45"), tax_code="TAX")
        imposed = {"TxnTaxCodeRef": {"value": california}, "TotalTax": 1}
        doc = self.invoice(customer_id, line, TxnTaxDetail=imposed)
        self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (D("9.88"), D("133.33")))
        restored = Company.from_dict(json.loads(json.dumps(self.qbo.to_dict())), self.qbo.clock)
        self.assertIs(restored.explicit_tax, False)
        self.qbo.explicit_tax = True
        doc = self.invoice(customer_id, line, TxnTaxDetail=imposed)
        self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (D("1.00"), D("124.45")))

    def test_requests_are_recorded(self):
        """Each API request a company receives is kept, queries readable as statements, the token not."""
        customer_id = self.customer()
        self.qbo.requests.clear()
        self.read("Customer", customer_id)
        answer = requests.post(f"{self.sandbox_server.url}/v3/company/{self.qbo.realm_id}/query",
                               data=b"SELECT * FROM Customer WHERE Active = true", timeout=TIMEOUT,
                               headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/text"})
        self.assertEqual(answer.status_code, 200, answer.text)
        status, _answer = self.call("GET", "query?query=select%20*%20from%20Item")
        self.assertEqual(status, 200)
        self.assertEqual(self.qbo.requests[0], {"method": "GET", "path": f"customer/{customer_id}",
                                                "args": {"minorversion": "75"}, "body": ""})
        self.assertEqual(self.qbo.queries("Customer"), ["SELECT * FROM Customer WHERE Active = true"])
        self.assertEqual(self.qbo.queries("Item"), ["select * from Item"])
        self.assertEqual(len(self.qbo.queries()), 2)
        self.assertNotIn(self.token, repr(list(self.qbo.requests)))
        unauthorized = requests.get(f"{self.sandbox_server.url}/v3/company/{self.qbo.realm_id}/customer/1",
                                    timeout=TIMEOUT)
        self.assertEqual(unauthorized.status_code, 401)
        self.assertEqual(len(self.qbo.requests), 3)

    def test_canadian_gst_pst_code(self):
        """A Canadian company's GST/PST BC code applies the GST and the PST BC rates, each to the cent."""
        self.use_company(country="CA")
        customer_id, item_id = self.customer(), self.item()
        _gst_code, [gst] = self.rates("GST")
        _pst_code, [pst] = self.rates("PST BC")
        combined, combined_rates = self.rates("GST/PST BC")
        self.assertEqual(combined_rates, [gst, pst])
        self.assertEqual(self.rates("GST/PST BC", "PurchaseTaxRateList")[1],
                         self.rates("GST", "PurchaseTaxRateList")[1] + self.rates("PST BC", "PurchaseTaxRateList")[1])
        agency = self.qbo.get("TaxAgency", self.qbo.get("TaxRate", pst)["AgencyRef"]["value"])
        self.assertEqual(agency["DisplayName"], "Ministry of Finance (BC)")
        doc = self.invoice(customer_id, self.sales_line(item_id, D("99.99"), tax_code=combined))
        self.assertEqual(self.tax_lines(doc), [(gst, D("5.00")), (pst, D("7.00"))])
        self.assertEqual(doc["TotalAmt"], D("111.99"))
        doc = self.invoice(customer_id, self.sales_line(item_id, D("89.28"), tax_code=combined, TaxInclusiveAmt=99.99),
                           GlobalTaxCalculation="TaxInclusive")
        self.assertEqual(self.tax_lines(doc), [(gst, D("4.46")), (pst, D("6.25"))])
        self.assertEqual((doc["TxnTaxDetail"]["TotalTax"], doc["TotalAmt"]), (D("10.71"), D("99.99")))
