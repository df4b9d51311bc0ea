from datetime import datetime
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..qbo_client import parse_qbo_time, query_time
from ..qbo_payload.account_payment import (
    PaymentPayloadError,
    amounts_differ,
    build_payment_payload,
    changes,
    memo,
    odoo_marker,
    parse_payment,
    snapshot,
)

PAYMENT = {
    "Id": "130", "SyncToken": "2", "CustomerRef": {"value": "58"}, "TotalAmt": 150.5, "TxnDate": "2024-03-01",
    "CurrencyRef": {"value": "EUR"}, "ExchangeRate": 1.0825, "DepositToAccountRef": {"value": "35"},
    "PaymentRefNum": "CHK 1001", "PrivateNote": "Odoo payment P1 [odoo:q1a2b3c-4-p77]",
    "MetaData": {"LastUpdatedTime": "2024-03-01T10:35:08-08:00"},
    "Line": [
        {"Amount": 100, "LinkedTxn": [{"TxnId": "12", "TxnType": "Invoice"}]},
        {"Amount": 30.25, "LinkedTxn": [{"TxnId": "14", "TxnType": "Invoice"}]},
        {"Amount": 10, "LinkedTxn": [{"TxnId": "15", "TxnType": "CreditMemo"}]},
    ],
}


@tagged("post_install", "-at_install")
class TestPaymentPayload(BaseCase):
    """Pure translation of QuickBooks payments: parse, compare, build, check to the cent."""

    def test_parse_payment(self):
        """Amounts are exact decimals, credits count against the applied amount, the Odoo mark is read."""
        values = parse_payment("Payment", PAYMENT)
        self.assertEqual(values["total"], Decimal("150.50"))
        self.assertEqual(values["applied"], Decimal("120.25"))
        self.assertEqual(values["unapplied"], Decimal("30.25"))
        self.assertEqual(values["allocations"], [
            {"type": "CreditMemo", "id": "15", "amount": Decimal("10.00")},
            {"type": "Invoice", "id": "12", "amount": Decimal("100.00")},
            {"type": "Invoice", "id": "14", "amount": Decimal("30.25")},
        ])
        self.assertEqual((values["currency"], values["rate"], values["account_id"]), ("EUR", Decimal("1.0825"), "35"))
        self.assertEqual(values["marker"], ("q1a2b3c-4", 77))
        self.assertEqual(values["updated"], datetime(2024, 3, 1, 18, 35, 8))
        self.assertFalse(values["voided"])

    def test_parse_voided_and_bill_payment(self):
        """A voided payment is recognised; a bill payment reads its bank or card account."""
        voided = dict(PAYMENT, TotalAmt=0, PrivateNote="Voided - customer paid twice",
                      Line=[{"Amount": 0, "LinkedTxn": [{"TxnId": "12", "TxnType": "Invoice"}]}])
        values = parse_payment("Payment", voided)
        self.assertTrue(values["voided"])
        self.assertEqual(values["allocations"], [])
        bill_payment = {"Id": "9", "VendorRef": {"value": "3"}, "TotalAmt": 80, "PayType": "CreditCard",
                        "CreditCardPayment": {"CCAccountRef": {"value": "41"}},
                        "Line": [{"Amount": 80, "LinkedTxn": [{"TxnId": "7", "TxnType": "Bill"}]}]}
        values = parse_payment("BillPayment", bill_payment)
        self.assertEqual((values["party_id"], values["account_id"], values["pay_type"]), ("3", "41", "CreditCard"))
        with self.assertRaises(PaymentPayloadError):
            parse_payment("Invoice", bill_payment)

    def test_changes(self):
        """Two versions differ by amount, allocation and void; a memo edit is no change."""
        old = snapshot(parse_payment("Payment", PAYMENT))
        self.assertEqual(changes(old, snapshot(parse_payment("Payment", dict(PAYMENT, PrivateNote="x")))), [])
        edited = dict(PAYMENT, TotalAmt=140.5, Line=PAYMENT["Line"][:1] + [
            {"Amount": 20.25, "LinkedTxn": [{"TxnId": "14", "TxnType": "Invoice"}]}] + PAYMENT["Line"][2:])
        self.assertEqual(changes(old, snapshot(parse_payment("Payment", edited))), [
            ("total", None, "150.50", "140.50"),
            ("allocation", ("Invoice", "14"), "30.25", "20.25"),
        ])
        voided = dict(PAYMENT, TotalAmt=0, PrivateNote="Voided", Line=[])
        kinds = [kind for kind, *_rest in changes(old, snapshot(parse_payment("Payment", voided)))]
        self.assertEqual(kinds[:2], ["voided", "total"])

    def test_build_payment_payload(self):
        """An Odoo payment becomes a Payment linked to its invoices, or a BillPayment by check."""
        values = {"entity": "Payment", "party_id": "58", "total": Decimal("80.10"), "date": "2024-03-02",
                  "currency": None, "rate": None, "account_id": "4", "method_id": "2", "reference": "PBNK1/2024/00001",
                  "note": odoo_marker("q1a2b3c-4", 77),
                  "allocations": [{"type": "Invoice", "id": "12", "amount": Decimal("80.10")}]}
        payload = build_payment_payload(values)
        self.assertEqual(payload, {
            "CustomerRef": {"value": "58"}, "TotalAmt": 80.1, "TxnDate": "2024-03-02",
            "Line": [{"Amount": 80.1, "LinkedTxn": [{"TxnId": "12", "TxnType": "Invoice"}]}],
            "DepositToAccountRef": {"value": "4"}, "PaymentRefNum": "PBNK1/2024/00001",
            "PaymentMethodRef": {"value": "2"}, "PrivateNote": "[odoo:q1a2b3c-4-p77]",
        })
        bill = build_payment_payload(dict(values, entity="BillPayment", pay_type="Check", currency="EUR",
                                          rate=Decimal("1.1"), allocations=[{"type": "Bill", "id": "7",
                                                                             "amount": Decimal("80.10")}]))
        self.assertEqual((bill["VendorRef"], bill["PayType"], bill["CheckPayment"]),
                         ({"value": "58"}, "Check", {"BankAccountRef": {"value": "4"}}))
        self.assertEqual((bill["CurrencyRef"], bill["ExchangeRate"]), ({"value": "EUR"}, 1.1))
        for wrong in (dict(values, allocations=[]), dict(values, currency="EUR"),
                      dict(values, total=Decimal("-1"))):
            with self.assertRaises(PaymentPayloadError):
                build_payment_payload(wrong)

    def test_amounts_differ_by_one_cent(self):
        """What QuickBooks stored is compared to what was sent, to the cent."""
        sent = {"entity": "Payment", "total": Decimal("150.50"),
                "allocations": [{"type": "Invoice", "id": "12", "amount": Decimal("100.00")}]}
        stored = dict(PAYMENT, Line=PAYMENT["Line"][:1])
        self.assertEqual(amounts_differ(stored, sent), [])
        self.assertEqual(amounts_differ(dict(stored, TotalAmt=150.49), sent),
                         [("total", Decimal("150.50"), Decimal("150.49"))])

    def test_small_helpers(self):
        """Memo, query times and the Odoo mark."""
        self.assertEqual(memo("Payment", "130", "CHK 1001"), "QBO Payment 130 CHK 1001")
        self.assertEqual(memo("BillPayment", "9"), "QBO BillPayment 9")
        self.assertEqual(query_time(datetime(2024, 5, 1, 8, 0, 0, 123)), "2024-05-01T08:00:00+00:00")
        self.assertEqual(parse_qbo_time("2024-05-01T01:00:00.250-07:00"), datetime(2024, 5, 1, 8, 0, 0, 250000))
