import logging
from datetime import timedelta

from odoo import fields, models

from ..qbo_client import QboApiError

_logger = logging.getLogger(__name__)

# Seconds the QuickBooks company's settings read last are trusted before an export reads them again.
PREFERENCES_TTL = 300


class ResCompany(models.Model):
    _inherit = "res.company"

    qbo_country = fields.Char(string="QuickBooks Country", readonly=True, copy=False)
    qbo_home_currency = fields.Char(string="QuickBooks Home Currency", readonly=True, copy=False)
    qbo_uses_sales_tax = fields.Boolean(string="QuickBooks Sales Tax", readonly=True, copy=False)
    qbo_multicurrency = fields.Boolean(string="QuickBooks Multicurrency", readonly=True, copy=False)
    qbo_custom_txn_numbers = fields.Boolean(string="QuickBooks Custom Transaction Numbers", readonly=True,
                                            copy=False)
    qbo_preferences_read_at = fields.Datetime(
        string="QuickBooks Settings Read on", readonly=True, copy=False,
        help="Read when the company connects, at each connection test, and by exports once this is "
             "more than 5 minutes old.",
    )

    def _qbo_read_company(self, client):
        """Read the QuickBooks company's name and the settings payloads depend on, in one request.

        :return: the ``res.company`` values to store
        :raise QboApiError: if QuickBooks refuses
        """
        answers = client.batch([{"bId": "info", "Query": "SELECT * FROM CompanyInfo"},
                                {"bId": "prefs", "Query": "SELECT * FROM Preferences"}])
        for answer in answers:
            if "Fault" in answer:
                raise QboApiError.from_fault(answer["Fault"], status=400)
        info = (answers[0].get("QueryResponse", {}).get("CompanyInfo") or [{}])[0]
        prefs = (answers[1].get("QueryResponse", {}).get("Preferences") or [{}])[0]
        currency = prefs.get("CurrencyPrefs") or {}
        return {
            "qbo_company_name": info.get("CompanyName") or "",
            "qbo_country": info.get("Country") or "US",
            "qbo_home_currency": (currency.get("HomeCurrency") or {}).get("value") or False,
            "qbo_uses_sales_tax": bool((prefs.get("TaxPrefs") or {}).get("UsingSalesTax")),
            "qbo_multicurrency": bool(currency.get("MultiCurrencyEnabled")),
            "qbo_custom_txn_numbers": bool((prefs.get("SalesFormsPrefs") or {}).get("CustomTxnNumbers")),
            "qbo_preferences_read_at": fields.Datetime.now(),
        }

    def _qbo_export_settings(self, client):
        """Return what export payloads depend on: ``us``, ``sales_tax``, ``custom_txn_numbers``,
        ``multicurrency`` and ``home_currency``.

        The values stored at connection are used while younger than ``PREFERENCES_TTL``; older ones
        are read again and stored in a transaction of their own (see ``_qbo_store_company_values``).
        """
        self.ensure_one()
        limit = fields.Datetime.now() - timedelta(seconds=PREFERENCES_TTL)
        if not self.qbo_preferences_read_at or self.qbo_preferences_read_at < limit:
            self._qbo_store_company_values(self._qbo_read_company(client))
        return {
            "us": self.qbo_country in ("US", "USA"),
            "sales_tax": self.qbo_uses_sales_tax,
            "custom_txn_numbers": self.qbo_custom_txn_numbers,
            "multicurrency": self.qbo_multicurrency,
            "home_currency": self.qbo_home_currency or self.currency_id.name,
        }

    def _qbo_store_company_values(self, values):
        """Store what an export read of the QuickBooks company, committed at once in its own transaction.

        The export must neither wait for nor make fail another transaction writing the company (the
        payment and expense syncs keep their cursors there): when the row is busy the values serve
        this transaction only. No export writes the company afterwards, so this commit cannot make
        its transaction fail either.
        """
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            cr.execute("SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED", [self.id])
            if cr.fetchone():
                store_env = self.env(cr=cr, su=True)
                self.with_env(store_env).write(values)
                store_env.flush_all()
            else:
                _logger.info("QuickBooks: settings of company %s read but not stored (row busy)", self.id)
        # This transaction's snapshot predates that commit: give it the values read.
        for name, value in values.items():
            field = self._fields[name]
            self.env.cache.update(self, field, [field.convert_to_cache(value, self)])
