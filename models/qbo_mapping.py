from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# Models whose records other users read through a public twin (e.g. employees' names).
PUBLIC_MODELS = {"hr.employee": "hr.employee.public"}


class QboMapping(models.Model):
    """Which Odoo record is which QuickBooks record, per company (unique both ways)."""

    _name = "qbo.mapping"
    _description = "QuickBooks Mapping"
    _order = "company_id, qbo_entity, qbo_name, id"
    _rec_name = "qbo_name"

    company_id = fields.Many2one(
        "res.company", string="Company", required=True, index=True, ondelete="cascade",
        default=lambda self: self.env.company,
    )
    res_model = fields.Char(string="Odoo Model", required=True, index=True)
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model", required=True, index=True)
    res_name = fields.Char(string="Odoo Record", compute="_compute_res_name")
    qbo_entity = fields.Char(string="QuickBooks Entity", required=True)
    qbo_id = fields.Char(string="QuickBooks ID", required=True, index=True)
    qbo_sync_token = fields.Char(string="SyncToken")
    qbo_name = fields.Char(string="QuickBooks Name")
    last_sync_date = fields.Datetime(string="Last Synchronized")

    _sql_constraints = [
        ("qbo_record_unique", "unique(company_id, qbo_entity, qbo_id)",
         "This QuickBooks record is already linked to another Odoo record."),
        ("odoo_record_unique", "unique(company_id, res_model, res_id, qbo_entity)",
         "This Odoo record is already linked to a QuickBooks record of this kind."),
    ]

    @api.depends("res_model", "res_id")
    def _compute_res_name(self):
        """The linked record's name as the reader may see it; a record the reader may not read
        (another company's, say) shows as restricted, never by its name."""
        for res_model, mappings in self.grouped("res_model").items():
            records = self._qbo_readable(res_model, mappings.mapped("res_id"))
            names = {record.id: record.display_name for record in records._filtered_access("read")}
            for mapping in mappings:
                mapping.res_name = names.get(mapping.res_id) or (
                    _("Restricted record") if mapping.res_id in records.ids else False)

    @api.model
    def _qbo_readable(self, res_model, res_ids):
        """The records, in the model through which their reader may see them."""
        model = PUBLIC_MODELS.get(res_model, res_model)
        if model not in self.env:
            return self.env["res.partner"].browse()
        return self.env[model].browse(res_ids).exists()

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS base: a link names a record of its own company that its author may read.
        mappings = super().create(vals_list)
        mappings._qbo_check_linked_records()
        return mappings

    def write(self, vals):
        # EXTENDS base: as for create.
        result = super().write(vals)
        if {"res_model", "res_id", "company_id"} & set(vals):
            self._qbo_check_linked_records()
        return result

    def _qbo_check_linked_records(self):
        """Refuse a link to a record of another company, or one its author may not read.

        :raise AccessError: if the author may not read the record
        :raise ValidationError: if the record belongs to companies the mapping's company is not in
        """
        for res_model, mappings in self.grouped("res_model").items():
            if res_model not in self.env:
                raise ValidationError(_("QuickBooks: %s is not a kind of Odoo record.", res_model))
            if not self.env.su:
                self._qbo_readable(res_model, mappings.mapped("res_id")).check_access("read")
            for mapping in mappings:
                record = self.env[res_model].sudo().browse(mapping.res_id)
                companies = record.company_ids if "company_ids" in record._fields else \
                    record.company_id if "company_id" in record._fields else record.browse()
                if companies and not companies & mapping.company_id.parent_ids:
                    raise ValidationError(_(
                        "QuickBooks: %(record)s belongs to %(companies)s, not to %(company)s: it cannot be linked "
                        "there.",
                        record=record.display_name, companies=", ".join(companies.mapped("name")),
                        company=mapping.company_id.name))

    # === LOOKUPS FOR A WHOLE SELECTION === #

    @api.model
    def _qbo_ids_for(self, records, qbo_entity, company=None):
        """Return the QuickBooks ids of ``records`` for ``qbo_entity``, one query for the selection.

        :param records: any recordset
        :param str qbo_entity: e.g. ``"Customer"``
        :param company: the company (default: the current one)
        :return: ``{record_id: qbo_id}`` for the linked records only
        :rtype: dict
        """
        if not records:
            return {}
        mappings = self._qbo_mappings_for(records, qbo_entity, company)
        return {mapping.res_id: mapping.qbo_id for mapping in mappings}

    @api.model
    def _qbo_mappings_for(self, records, qbo_entity, company=None):
        """Return the mappings of ``records`` for ``qbo_entity`` in ``company``."""
        company = company or self.env.company
        return self.search([
            ("company_id", "=", company.id),
            ("res_model", "=", records._name),
            ("res_id", "in", records.ids),
            ("qbo_entity", "=", qbo_entity),
        ])

    @api.model
    def _records_for(self, company, qbo_entity, qbo_ids):
        """Return the Odoo records linked to ``qbo_ids``, one query for the selection.

        :return: ``{qbo_id: record}`` for the linked, still existing records only
        :rtype: dict
        """
        mappings = self.search([
            ("company_id", "=", company.id),
            ("qbo_entity", "=", qbo_entity),
            ("qbo_id", "in", [str(qbo_id) for qbo_id in qbo_ids]),
        ])
        result = {}
        for res_model, model_mappings in mappings.grouped("res_model").items():
            existing = self.env[res_model].browse(model_mappings.mapped("res_id")).exists()
            for mapping in model_mappings:
                if mapping.res_id in existing.ids:
                    result[mapping.qbo_id] = self.env[res_model].browse(mapping.res_id)
        return result

    # === WRITES === #

    @api.model
    def _link(self, company, record, qbo_entity, qbo_id, sync_token=None, qbo_name=None):
        """Link ``record`` to a QuickBooks record, refusing to move an existing link.

        Linking a pair that is already linked only refreshes its SyncToken and name.

        :return: the mapping
        :raise UserError: if either side is already linked elsewhere
        """
        record.ensure_one()
        qbo_id = str(qbo_id)
        existing = self.search([
            ("company_id", "=", company.id), ("qbo_entity", "=", qbo_entity),
            "|", ("qbo_id", "=", qbo_id), "&", ("res_model", "=", record._name), ("res_id", "=", record.id),
        ])
        values = {"last_sync_date": fields.Datetime.now()}
        if sync_token is not None:
            values["qbo_sync_token"] = str(sync_token)
        if qbo_name:
            values["qbo_name"] = qbo_name
        same = existing.filtered(lambda m: m.qbo_id == qbo_id and m.res_model == record._name
                                 and m.res_id == record.id)
        if same:
            same.write(values)
            return same
        if existing:
            other = existing[0]
            if other.qbo_id == qbo_id:
                raise UserError(_(
                    "QuickBooks: %(entity)s %(name)s is already linked to %(record)s; unlink it first.",
                    entity=qbo_entity, name=other.qbo_name or qbo_id, record=other.res_name or other.res_id))
            raise UserError(_(
                "QuickBooks: %(record)s is already linked to %(entity)s %(name)s; unlink it first.",
                record=record.display_name, entity=qbo_entity, name=other.qbo_name or other.qbo_id))
        return self.create({
            **values,
            "company_id": company.id,
            "res_model": record._name,
            "res_id": record.id,
            "qbo_entity": qbo_entity,
            "qbo_id": qbo_id,
        })

    @api.model
    def _unlink(self, company, records, qbo_entity):
        """Remove the links of ``records`` for ``qbo_entity``; return how many links were removed."""
        mappings = self._qbo_mappings_for(records, qbo_entity, company)
        count = len(mappings)
        mappings.unlink()
        return count
