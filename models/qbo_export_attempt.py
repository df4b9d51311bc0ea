from odoo import api, fields, models, sql_db
from odoo.tools import SQL

# Attempts are forgotten after this many days (Odoo replays a transaction within seconds).
ATTEMPT_RETENTION_DAYS = 30


class QboExportAttempt(models.Model):
    """A creation about to be sent to QuickBooks: which request carries the record, and its requestid.

    Written before the call, in a transaction of its own that is committed at once: when Odoo rolls the
    export back after QuickBooks created the document (a serialization failure, a worker stopped at
    its time limit, a crash), the export's replay finds the row and sends the record in the same
    request with the same requestid, so QuickBooks answers with what it created instead of creating a
    copy, even when the replay would have grouped the records otherwise (another selection, or single
    calls instead of a batch). The export's own transaction never writes these rows: it could not see
    them (they are younger than its snapshot) and must not lock them. Records and companies are plain
    ids: the row is committed before the records' own transaction, which may create them.
    """

    _name = "qbo.export.attempt"
    _description = "QuickBooks Creation Sent"
    _log_access = False
    _rec_name = "requestid"

    company_id = fields.Integer(string="Company", readonly=True, index=True)
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_id = fields.Integer(string="Record", required=True, readonly=True)
    generation = fields.Integer(string="Export Generation", readonly=True,
                                help="The record's export generation when it was sent (a refused creation "
                                     "starts a new one, sent anew).")
    requestid = fields.Char(string="Request ID", required=True, readonly=True)
    sent_at = fields.Datetime(string="Sent At", readonly=True, default=fields.Datetime.now)

    _sql_constraints = [
        ("record_generation_uniq", "UNIQUE(res_model, res_id, generation)",
         "A record's creation is sent in one request per export generation."),
    ]

    @api.model
    def _qbo_sent_requestids(self, records):
        """The requestids the records' current creations were sent with: ``{record id: requestid}``.

        Read on a connection of its own: an attempt recorded after this transaction began counts too.
        """
        if not records:
            return {}
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("""SELECT res_id, generation, requestid FROM qbo_export_attempt
                           WHERE res_model = %s AND res_id IN %s""", [records._name, tuple(records.ids)])
            rows = cr.fetchall()
        generations = {record.id: record.qbo_export_generation for record in records}
        return {res_id: requestid for res_id, generation, requestid in rows if generations[res_id] == generation}

    @api.model
    def _qbo_record(self, records, requestid):
        """Record, committed at once in a transaction of its own, that the records' creations are sent
        with ``requestid`` (a replay of an earlier attempt keeps its row)."""
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("""INSERT INTO qbo_export_attempt (company_id, res_model, res_id, generation, requestid,
                                                          sent_at)
                          SELECT %s, %s, unnest(%s::int[]), unnest(%s::int[]), %s, now() at time zone 'UTC'
                          ON CONFLICT (res_model, res_id, generation) DO NOTHING""",
                       [records.company_id[:1].id, records._name, records.ids,
                        [record.qbo_export_generation for record in records], requestid])

    @api.model
    def _qbo_unsettled_moves(self, company):
        """The documents of ``company`` whose creation was sent and has no answer recorded yet (no QuickBooks
        Id, the same export generation): ``[(date, total, sent_at)]``. QuickBooks may hold what it created
        for them without Odoo knowing yet."""
        return self._qbo_unsettled(company, "account.move", ("invoice_date", "amount_total"))

    @api.model
    def _qbo_unsettled(self, company, model, columns):
        """``columns`` and ``sent_at`` of the records of ``model`` of ``company`` whose creation was sent and has
        no answer recorded yet (no QuickBooks Id, the same export generation). Read on a connection of its own
        (the latest commits)."""
        table = SQL.identifier(self.env[model]._table)
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(SQL(
                """SELECT %s, attempt.sent_at
                     FROM qbo_export_attempt attempt
                     JOIN %s record ON record.id = attempt.res_id
                                   AND coalesce(record.qbo_export_generation, 0) = attempt.generation
                    WHERE attempt.res_model = %s AND attempt.company_id = %s AND record.qbo_id IS NULL""",
                SQL(", ").join(SQL.identifier("record", column) for column in columns), table, model, company.id))
            return cr.fetchall()

    @api.autovacuum
    def _gc_qbo_export_attempts(self):
        self.env.cr.execute("DELETE FROM qbo_export_attempt WHERE sent_at < now() at time zone 'UTC' - %s::interval",
                            [f"{ATTEMPT_RETENTION_DAYS} days"])
