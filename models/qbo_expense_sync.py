from odoo import api, models

from ..qbo_master_data import query_literal

# qbo.mapping entities of the links expenses add: an Odoo expense product is the category of a
# QuickBooks expense account; an Odoo analytic account is a QuickBooks project or customer.
CATEGORY_ENTITY = "ExpenseCategory"
PROJECT_ENTITY = "Project"
PAGE = 1000


class ExpenseRun:
    """One exchange session with a company's QuickBooks: the client, its settings, what to record."""

    def __init__(self, company):
        self.company = company
        self.client = None
        self.settings = None
        self.logs = []
        self.notes = {}  # expense id -> Markup


class QboExpenseSync(models.AbstractModel):
    """What the import and the export of expenses share: reading by Ids, sync logs, chatter notes."""

    _name = "qbo.expense.sync"
    _description = "QuickBooks Synchronization of Expenses"

    @api.model
    def _qbo_read_ids(self, run, entity, qbo_ids, inactive=False):
        """Return the QuickBooks records of ``entity`` with the given Ids (deleted ones are missing).

        :param bool inactive: include inactive records (name lists answer the active ones only by default)
        """
        qbo_ids = sorted(qbo_ids)
        docs = []
        for start in range(0, len(qbo_ids), PAGE):
            where = "Id IN (%s)" % ", ".join(query_literal(qbo_id) for qbo_id in qbo_ids[start:start + PAGE])
            if inactive:
                where += " AND Active IN (true, false)"
            docs += run.client.query_all(entity, where=where)
        return docs

    # === LOGS AND NOTES === #

    @api.model
    def _qbo_flush(self, run):
        """Write the run's sync logs and chatter notes, in one go each."""
        if run.logs:
            self.env["qbo.sync.log"]._qbo_log(run.logs)
            run.logs = []
        if run.notes:
            expenses = self.env["hr.expense"].browse(list(run.notes)).exists()
            expenses._message_log_batch(bodies={expense.id: run.notes[expense.id] for expense in expenses})
            run.notes = {}

    @api.model
    def _qbo_log_values(self, run, expense, direction, operation, entity, status, message, requestid, duration,
                        qbo_id, label=None):
        return {
            "company_id": run.company.id,
            "direction": direction,
            "operation": operation,
            "qbo_entity": entity or "Purchase",
            "qbo_id": qbo_id or False,
            "res_model": "hr.expense" if expense else False,
            "res_id": expense.id if expense else False,
            "res_name": expense.name if expense else label,
            "status": status,
            "message": message or False,
            "requestid": requestid or False,
            "duration": duration,
        }

    @api.model
    def _qbo_requestid_prefix(self, company):
        """Requestids are unique per QuickBooks company and Odoo database, as for invoices."""
        return self.env["qbo.move.export"]._qbo_requestid_prefix(company)
