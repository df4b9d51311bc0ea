from datetime import datetime

import psycopg2.errors

from odoo import api, fields, models

# Streams of QuickBooks changes read incrementally, one cursor row per company and stream.
STREAMS = [
    ("payment", "Customer payments"),
    ("bill_payment", "Bill payments"),
    ("expense", "Expenses"),
    ("cdc", "Change data capture"),
    ("events", "Change processing"),
    ("export", "Exports"),
    ("import_invoice", "Invoices created in QuickBooks"),
    ("import_credit_memo", "Credit memos created in QuickBooks"),
    ("import_bill", "Bills created in QuickBooks"),
    ("import_vendor_credit", "Vendor credits created in QuickBooks"),
    ("import_sales_receipt", "Sales receipts created in QuickBooks"),
    ("import_refund_receipt", "Refund receipts created in QuickBooks"),
]


class QboSyncCursor(models.Model):
    """How far one company's stream of QuickBooks changes has been read, and the lock of its runs.

    Written only by the run of its stream, which holds this row's lock for its whole transaction:
    two runs of one stream never overlap, runs of different streams (or companies) never wait for
    each other, and nothing else writes the row. The lock is taken before any QuickBooks call, so
    when Odoo replays a run after a serialization failure on it, no call was made yet.
    """

    _name = "qbo.sync.cursor"
    _description = "QuickBooks Read Cursor"
    _order = "company_id, stream"
    _rec_name = "stream"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    stream = fields.Selection(STREAMS, required=True, readonly=True)
    read_until = fields.Datetime(
        string="Read Until", readonly=True,
        help="QuickBooks time of the last complete read: the next one starts a little before it.")
    retry_ids = fields.Json(string="To Read Again", readonly=True,
                            help="QuickBooks ids whose import failed: the next runs read them again.")
    more = fields.Boolean(string="More to Read", readonly=True,
                          help="The last run stopped at its batch limit: the next one goes on at once.")
    last_run_at = fields.Datetime(string="Last Run", readonly=True)

    _sql_constraints = [
        ("stream_uniq", "UNIQUE(company_id, stream)", "A company has one cursor per stream."),
    ]

    @api.model
    def _qbo_acquire(self, company, stream):
        """Return the cursor of ``company``'s ``stream``, locked for this transaction.

        The rows exist from the connection on (``_qbo_ensure``): two runs starting together never
        race to create one.

        :return: the cursor (as superuser), or an empty recordset when another transaction holds it
            (or, in a scheduled job, ran the stream since this transaction began)
        """
        cursor = self.sudo().search([("company_id", "=", company.id), ("stream", "=", stream)])
        if not cursor:
            # A stream the company did not have when it was connected (added by a later version).
            cursor = self.sudo().create({"company_id": company.id, "stream": stream})
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute("SELECT id FROM qbo_sync_cursor WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                                    [cursor.id], log_exceptions=False)
                locked = bool(self.env.cr.fetchone())
        except psycopg2.errors.SerializationFailure:
            # Another run of the stream committed it after this transaction's snapshot. A request is
            # replayed by Odoo (no QuickBooks call was made yet); a job's lane passes: it was just served.
            if "cron_id" not in self.env.context:
                raise
            locked = False
        return cursor if locked else cursor.browse()

    @api.model
    def _qbo_ensure(self, company):
        """Give ``company`` a cursor for each stream it has none for."""
        have = set(self.sudo().search([("company_id", "=", company.id)]).mapped("stream"))
        self.sudo().create([{"company_id": company.id, "stream": stream}
                            for stream, _label in STREAMS if stream not in have])

    def _qbo_reset(self):
        """Forget how far these streams were read (another QuickBooks company is connected)."""
        self.sudo().write({"read_until": False, "retry_ids": False, "more": False})

    @api.model
    def _qbo_least_recently_run(self, companies, stream):
        """Return ``companies`` sorted by the last run of their ``stream``, those never run first."""
        cursors = self._qbo_cursors(companies, stream)

        def last_run(company):
            cursor = cursors.get(company)
            return (cursor.last_run_at if cursor and cursor.last_run_at else datetime.min, company.id)

        return companies.sorted(last_run)

    @api.model
    def _qbo_cursors(self, companies, stream):
        """Return ``{company: cursor}`` of the cursors ``companies`` have for ``stream`` (not locked)."""
        cursors = self.sudo().search([("company_id", "in", companies.ids), ("stream", "=", stream)])
        return {cursor.company_id: cursor for cursor in cursors}
