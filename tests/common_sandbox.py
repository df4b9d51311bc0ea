import json
from decimal import Decimal as D
from unittest.mock import patch

import requests

from odoo.tests import BaseCase

from ..qbo_client import QboClient
from ..qbo_sandbox.testing import SandboxTestMixin

TIMEOUT = 10
DUPLICATE_PERSON = ("The name supplied already exists. : Another customer, vendor or employee is already using "
                    "this name. Please use a different name.")
SERVICES_ACCOUNT = "14"  # the seeded "Services" income account


class SandboxFaultsMixin:
    """Faults injected in the sandbox are cleared after each test, and the client tries again at once
    (its pauses between attempts are real sleeps)."""

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sandbox.clear_faults)
        patcher = patch.object(QboClient, "_backoff", staticmethod(lambda attempt: 0))
        patcher.start()
        self.addCleanup(patcher.stop)


class SandboxClientCommon(SandboxTestMixin, BaseCase):
    """One QBO company for the class, with an access token (``cls.auth``) for a client of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()
        cls.register_sandbox_app()
        cls.realm_id = cls.create_sandbox_company("Sandbox Company_US_1").realm_id
        cls.auth = cls.authorize(cls.sandbox_auth_client(), cls.realm_id)


class SandboxApiHelpers(SandboxTestMixin):
    """A fresh QBO company per test, connected through the real OAuth flow, and JSON helpers."""

    company_options = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()
        cls.register_sandbox_app()

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sandbox.clock.reset)
        self.company = self.create_sandbox_company(**self.company_options)
        self.client = self.authorize(self.sandbox_auth_client(), self.company.realm_id)

    def api(self, method, subpath, **kwargs):
        return requests.request(
            method, f"{self.sandbox_server.url}/v3/company/{self.company.realm_id}/{subpath}",
            headers={"Authorization": f"Bearer {self.client.access_token}", "Accept": "application/json",
                     **kwargs.pop("headers", {})},
            timeout=TIMEOUT, **kwargs,
        )

    def post(self, entity, body, **params):
        return self.api("POST", entity, json=body, params=dict({"minorversion": "75"}, **params))

    def ok(self, response, entity=None):
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()
        self.assertIn("time", data)
        return data[entity] if entity else data

    def fault(self, response, code, status=400):
        self.assertEqual(response.status_code, status, response.text)
        errors = response.json()["Fault"]["Error"]
        self.assertEqual(errors[0]["code"], code, response.text)
        return errors[0]

    def create(self, entity, body, **params):
        return self.ok(self.post(entity.lower(), body, **params), entity)

    def read(self, entity, entity_id):
        return self.ok(self.api("GET", f"{entity.lower()}/{entity_id}"), entity)

    def query(self, text):
        return self.ok(self.api("GET", "query", params={"query": text}))["QueryResponse"]

    def make_item(self, name="Consulting", price=75):
        return self.create("Item", {"Name": name, "Type": "Service", "UnitPrice": price,
                                    "IncomeAccountRef": {"value": SERVICES_ACCOUNT}})

    def invoice_body(self, customer_id, item_id, qty=2, price=75):
        return {"CustomerRef": {"value": customer_id}, "Line": [{
            "Amount": qty * price, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": qty, "UnitPrice": price}}]}


VOID_PATHS = {"Invoice": "invoice?operation=void"}


class SandboxApiCase(SandboxTestMixin, BaseCase):
    """A sandbox for the class; each test gets a fresh QBO company (``company_options``) and a token.

    Everything under test goes through the Accounting API over HTTP; only the Ids of seeded
    records (chart of accounts, tax codes) are read from the company's store.
    """

    company_options = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_qbo_sandbox()
        cls.register_sandbox_app()

    def setUp(self):
        super().setUp()
        self.use_company(**self.company_options)

    def use_company(self, **options):
        """Switch the test to a new QBO company created with ``options``."""
        self.qbo = self.create_sandbox_company(**options)
        self.token = self.authorize(self.sandbox_auth_client(), self.qbo.realm_id).access_token

    # ---- HTTP ----

    def call(self, method, path, body=None):
        """Return ``(status, JSON answer with Decimal numbers)`` of an Accounting API call."""
        response = requests.request(
            method, f"{self.sandbox_server.url}/v3/company/{self.qbo.realm_id}/{path}",
            data=None if body is None else json.dumps(body, default=float),  # Decimal as a JSON number
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                     "Content-Type": "application/json"}, timeout=TIMEOUT,
        )
        return response.status_code, response.json(parse_float=D)

    def post(self, entity, body, options=""):
        status, answer = self.call("POST", f"{entity.lower()}?minorversion=75{options}", body)
        self.assertEqual(status, 200, answer)
        return answer[entity]

    def refused(self, entity, body, code, options=""):
        """Assert QBO refuses the write with ``code``; return the fault's error."""
        status, answer = self.call("POST", f"{entity.lower()}?minorversion=75{options}", body)
        self.assertEqual(status, 400, answer)
        error = answer["Fault"]["Error"][0]
        self.assertEqual(error["code"], code, error)
        return error

    def read(self, entity, doc_id):
        status, answer = self.call("GET", f"{entity.lower()}/{doc_id}?minorversion=75")
        self.assertEqual(status, 200, answer)
        return answer[entity]

    def update(self, entity, doc, **changes):
        """Full update of ``doc`` (as read) with ``changes``."""
        return self.post(entity, dict(doc, **changes))

    def delete(self, entity, doc):
        status, answer = self.call("POST", f"{entity.lower()}?operation=delete",
                                   {"Id": doc["Id"], "SyncToken": doc["SyncToken"]})
        return status, answer

    def void(self, entity, doc):
        path = VOID_PATHS.get(entity, f"{entity.lower()}?operation=update&include=void")
        return self.call("POST", path, {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True})

    # ---- Data ----

    def seeded(self, entity, name):
        """Return the Id of a record the company was created with."""
        return next(doc["Id"] for doc in self.qbo.all(entity) if doc.get("Name") == name)

    def customer(self, name="Acme Corp", **fields):
        return self.post("Customer", dict({"DisplayName": name}, **fields))["Id"]

    def vendor(self, name="Office Supplier", **fields):
        return self.post("Vendor", dict({"DisplayName": name}, **fields))["Id"]

    def item(self, name="Consulting", **fields):
        income = self.seeded("Account", "Services")
        return self.post("Item", dict({"Name": name, "Type": "Service", "IncomeAccountRef": {"value": income}},
                                      **fields))["Id"]

    @staticmethod
    def sales_line(item_id, amount, qty=None, price=None, tax_code=None, **detail):
        if qty is not None:
            detail.update(Qty=qty, UnitPrice=price)
        if tax_code:
            detail["TaxCodeRef"] = {"value": tax_code}
        return {"DetailType": "SalesItemLineDetail", "Amount": amount,
                "SalesItemLineDetail": dict(detail, ItemRef={"value": item_id})}

    @staticmethod
    def expense_line(account_id, amount, **detail):
        return {"DetailType": "AccountBasedExpenseLineDetail", "Amount": amount,
                "AccountBasedExpenseLineDetail": dict(detail, AccountRef={"value": account_id})}

    @staticmethod
    def applied(doc_id, amount, txn_type="Invoice"):
        return {"Amount": amount, "LinkedTxn": [{"TxnId": doc_id, "TxnType": txn_type}]}

    def invoice(self, customer_id, *lines, **fields):
        return self.post("Invoice", dict({"CustomerRef": {"value": customer_id}, "Line": list(lines)}, **fields))

    def payment(self, customer_id, total, *lines, **fields):
        return self.post("Payment", dict({"CustomerRef": {"value": customer_id}, "TotalAmt": total,
                                          "Line": list(lines)}, **fields))

    def balances(self, entity, docs):
        return [self.read(entity, doc["Id"])["Balance"] for doc in docs]
