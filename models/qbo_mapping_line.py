from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..const import CATEGORY_ENTITY, PROJECT_ENTITY
from ..qbo_master_data import KINDS, SyncSummary, is_listed, normalize_name, qbo_card, similarity
from .qbo_tax_map import US_LINE_CODES

KIND_SELECTION = [
    ("customer", "Customers"),
    ("vendor", "Vendors"),
    ("employee", "Employees"),
    ("product", "Products"),
    ("account", "Accounts"),
    ("tax", "Taxes"),
    ("term", "Payment Terms"),
    ("payment_method", "Payment Methods"),
    ("category", "Expense Categories"),
    ("project", "Projects"),
]
# The links expenses add: the QuickBooks entity read, the qbo.mapping entity, the Odoo model.
EXPENSE_KINDS = {
    "category": ("Account", CATEGORY_ENTITY, "product.product"),
    "project": ("Customer", PROJECT_ENTITY, "account.analytic.account"),
}
# QuickBooks accounts expenses are filed under (the "categories" of QuickBooks expenses).
EXPENSE_ACCOUNT_TYPES = ("Expense", "Other Expense", "Cost of Goods Sold")
TAX_USES = {"sale": "Sales", "purchase": "Purchases"}


class QboMappingLine(models.TransientModel):
    """One row of the mapping screen: a linked pair, or a record found only in Odoo or only in QuickBooks.

    One screen holds every kind of record (the search panel switches between them, like tabs). The
    rows belong to the user who opened it and are rebuilt from both sides each time it is opened or
    refreshed; the links themselves live in ``qbo.mapping`` (``qbo.tax.map`` for taxes).
    """

    _name = "qbo.mapping.line"
    _description = "QuickBooks Mapping Screen Row"
    _order = "sequence, id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    kind = fields.Selection(KIND_SELECTION, required=True, readonly=True)
    state = fields.Selection(
        [("linked", "Linked"), ("odoo", "Only in Odoo"), ("qbo", "Only in QuickBooks")],
        required=True, readonly=True,
    )
    sequence = fields.Integer(readonly=True)
    res_model = fields.Char(readonly=True)
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model", readonly=True)
    odoo_name = fields.Char(string="Odoo", readonly=True)
    odoo_detail = fields.Char(string="Odoo Details", readonly=True,
                              help="What tells the record apart: email, reference, code, rate...")
    odoo_email = fields.Char(readonly=True)
    odoo_ref = fields.Char(readonly=True)
    odoo_rate = fields.Float(string="Odoo Rate", readonly=True, digits=(16, 4))
    tax_use = fields.Selection([("sale", "Sales"), ("purchase", "Purchases")], readonly=True)
    qbo_id = fields.Char(string="QuickBooks ID", readonly=True)
    qbo_name = fields.Char(string="QuickBooks", readonly=True)
    qbo_detail = fields.Char(string="QuickBooks Details", readonly=True)
    qbo_email = fields.Char(readonly=True)
    qbo_ref = fields.Char(readonly=True)
    qbo_rates = fields.Json(readonly=True, help="Sales and purchase rates of a QuickBooks tax code.")
    qbo_sync_token = fields.Char(readonly=True)
    qbo_active = fields.Boolean(string="Active in QuickBooks", readonly=True, default=True)
    qbo_is_project = fields.Boolean(string="Project", readonly=True)
    offered = fields.Boolean(
        compute="_compute_offered", store=True,
        help="Still to link: not linked yet, or a QuickBooks tax code (several Odoo taxes may share one).")

    # === COMPUTE METHODS === #

    @api.depends("state", "kind", "res_id")
    def _compute_offered(self):
        for row in self:
            row.offered = row.state != "linked" or (row.kind == "tax" and not row.res_id)

    # === SCREEN === #

    @api.model
    def action_open_screen(self, kind="customer"):
        """Read both sides and open the mapping screen of the current company on ``kind``.

        :param str kind: the kind shown first (a key of ``KIND_SELECTION``)
        :return: the window action of the screen
        """
        self._qbo_check_access("manager")
        if kind not in dict(KIND_SELECTION):
            raise UserError(_("QuickBooks: unknown kind of record %s.", kind))
        company = self.env.company
        self._qbo_rebuild(company)
        return {
            "type": "ir.actions.act_window",
            "name": _("QuickBooks Mapping"),
            "res_model": self._name,
            "view_mode": "list",
            "views": [(self.env.ref("quickbooks_connector.qbo_mapping_line_view_list").id, "list")],
            "search_view_id": [self.env.ref("quickbooks_connector.qbo_mapping_line_view_search").id, "search"],
            "domain": [("company_id", "=", company.id), ("create_uid", "=", self.env.uid)],
            "context": {"searchpanel_default_kind": kind, "search_default_hide_synchronized": 1},
            "help": _("<p class='o_view_nocontent_smiling_face'>Nothing left to link here</p>"
                      "<p>Every record of this kind is linked, or neither Odoo nor QuickBooks has any. Remove the "
                      "<i>Not Linked</i> filter to see the linked pairs, or pick another kind on the left.</p>"),
            "target": "current",
        }

    @api.model
    def _qbo_rebuild(self, company, kinds=None):
        """Replace the current user's rows (of ``kinds``, all by default) with fresh ones read from
        Odoo and QuickBooks; each QuickBooks entity is read once."""
        kinds = kinds or [kind for kind, _label in KIND_SELECTION]
        client = company._qbo_get_client()
        docs = {}

        def read(entity):
            if entity not in docs:
                docs[entity] = client.query_all(entity)
            return docs[entity]

        self.search([("company_id", "=", company.id), ("kind", "in", kinds),
                     ("create_uid", "=", self.env.uid)]).unlink()
        rows = []
        for kind in kinds:
            rows += self._qbo_kind_rows(company, kind, read, client)
        for sequence, values in enumerate(sorted(rows, key=lambda row: (row["odoo_name"] or row["qbo_name"] or "")
                                                 .casefold())):
            values["sequence"] = sequence
        return self.create(rows)

    @api.model
    def _qbo_kind_rows(self, company, kind, read, client):
        """Return the row values of one kind."""
        if kind == "tax":
            return self._qbo_tax_rows(company, read, client)
        sync = self.env["qbo.master.data.sync"]
        if kind in EXPENSE_KINDS:
            entity, mapping_entity, model = EXPENSE_KINDS[kind]
            docs = [doc for doc in read(entity) if kind == "project" or doc.get("AccountType") in EXPENSE_ACCOUNT_TYPES]
            records = self._qbo_expense_records(company, kind)
        else:
            entity = mapping_entity = KINDS[kind].entity
            model = KINDS[kind].model
            docs = [doc for doc in read(entity) if is_listed(entity, doc)]
            records = sync._qbo_odoo_records(company, kind)
        cards = {card["id"]: card for card in (self._qbo_card(kind, entity, doc) for doc in docs)}
        mappings = self.env["qbo.mapping"].search([
            ("company_id", "=", company.id), ("qbo_entity", "=", mapping_entity), ("res_model", "=", model),
        ])
        existing = records.browse(mappings.mapped("res_id")).exists()
        # A link to a deleted Odoo record can never be used again: drop it.
        mappings.filtered(lambda mapping: mapping.res_id not in existing.ids).unlink()
        records |= existing
        linked = {mapping.res_id: mapping for mapping in mappings.exists()}
        rows = []
        for record in records:
            mapping = linked.get(record.id)
            card = mapping and (cards.pop(mapping.qbo_id, None) or {
                "id": mapping.qbo_id, "name": mapping.qbo_name, "active": False,
                "detail": _("inactive or deleted in QuickBooks")})
            rows.append(self._qbo_row_values(company, kind, record=record, qbo=card))
        # the QuickBooks records left are the unlinked ones
        rows += [self._qbo_row_values(company, kind, qbo=card) for card in cards.values()]
        return rows

    @api.model
    def _qbo_expense_records(self, company, kind):
        if kind == "category":
            return self.env["product.product"].with_company(company).search([
                ("can_be_expensed", "=", True), ("company_id", "in", [False, company.id])])
        project_plan, _other_plans = self.env["account.analytic.plan"]._get_all_plans()
        return self.env["account.analytic.account"].search([
            ("plan_id", "=", project_plan.id), ("company_id", "in", [False, company.id])])

    @api.model
    def _qbo_card(self, kind, entity, doc):
        """The QuickBooks side of a row: its name, what tells it apart, its matching keys."""
        card = qbo_card(entity, doc)
        if kind == "project":
            card["name"] = doc.get("FullyQualifiedName") or doc.get("DisplayName") or card["name"]
            card["is_project"] = bool(doc.get("IsProject"))
            card["detail"] = _("Project") if doc.get("IsProject") else _("Customer")
        elif kind in ("account", "category"):
            card["detail"] = " · ".join(filter(None, (doc.get("AcctNum"), doc.get("AccountType"))))
        else:
            card["detail"] = " · ".join(filter(None, (card.get("email"), card.get("ref"))))
        return card

    @api.model
    def _qbo_tax_rows(self, company, read, client):
        """Taxes: each Odoo tax with its use and rate, each QuickBooks tax code with its rates (and,
        for US companies, the TAX and NON line codes); a code stays offered once linked, since
        several Odoo taxes may share it."""
        us = company._qbo_export_settings(client)["us"]
        rates = {str(rate["Id"]): rate.get("RateValue") or 0 for rate in read("TaxRate")}
        maps = self.env["qbo.tax.map"].search([("company_id", "=", company.id)])
        taxes = self.env["qbo.master.data.sync"]._qbo_odoo_records(company, "tax") | maps.tax_id
        links = {tax_map.tax_id.id: tax_map for tax_map in maps}
        cards = [self._qbo_tax_card(doc, rates) for doc in read("TaxCode") if doc.get("Active", True)]
        if us:
            known = {card["id"] for card in cards}
            cards += [{"id": code, "name": code, "active": True, "rates": {},
                       "detail": _("Line code: taxable") if code == "TAX" else _("Line code: not taxable")}
                      for code in US_LINE_CODES if code not in known]
        cards_by_id = {card["id"]: card for card in cards}
        users = {}
        rows = []
        for tax in taxes:
            tax_map = links.get(tax.id)
            card = None
            if tax_map:
                code = tax_map.qbo_tax_code_id or tax_map.qbo_line_code
                card = cards_by_id.get(code) or {"id": code, "name": tax_map.qbo_tax_code_name, "rates": {},
                                                 "active": False}
                users.setdefault(code, []).append(tax.name)
            rows.append(self._qbo_row_values(company, "tax", record=tax, qbo=card))
        for card in cards:
            values = self._qbo_row_values(company, "tax", qbo=card)
            if card["id"] in users:
                values.update(state="linked", odoo_name=_("(used by %s)", ", ".join(users[card["id"]])))
            rows.append(values)
        return rows

    @api.model
    def _qbo_tax_card(self, doc, rates):
        def rate_of(rate_list):
            details = (doc.get(rate_list) or {}).get("TaxRateDetail") or []
            return sum(float(rates.get(str((detail.get("TaxRateRef") or {}).get("value")), 0)) for detail in details)

        code_rates = {}
        if (doc.get("SalesTaxRateList") or {}).get("TaxRateDetail"):
            code_rates["sale"] = rate_of("SalesTaxRateList")
        if (doc.get("PurchaseTaxRateList") or {}).get("TaxRateDetail"):
            code_rates["purchase"] = rate_of("PurchaseTaxRateList")
        card = qbo_card("TaxCode", doc)
        card["rates"] = code_rates
        card["detail"] = " · ".join(f"{TAX_USES[use]} {rate:g} %" for use, rate in code_rates.items()) \
            or _("no rate")
        return card

    @api.model
    def _qbo_row_values(self, company, kind, record=None, qbo=None):
        values = {"company_id": company.id, "kind": kind, "state": "linked" if record and qbo else
                  "odoo" if record else "qbo", "odoo_name": False, "qbo_name": False}
        if record:
            values.update(res_model=record._name, res_id=record.id, **self._qbo_odoo_side(company, kind, record))
        if qbo:
            values.update(self._qbo_card_values(qbo))
        return values

    @api.model
    def _qbo_odoo_side(self, company, kind, record):
        """The Odoo side of a row: name, what tells it apart, matching keys (and a tax's use and rate)."""
        if kind == "tax":
            flat = record.flatten_taxes_hierarchy().filtered(lambda tax: tax.amount_type == "percent")
            rate = sum(flat.mapped("amount"))
            use = record.type_tax_use if record.type_tax_use in TAX_USES else False
            detail = " · ".join(filter(None, (use and f"{TAX_USES[use]} {rate:g} %",
                                              record.price_include and _("included in price"))))
            return {"odoo_name": record.name, "odoo_detail": detail, "odoo_rate": rate, "tax_use": use}
        if kind == "category":
            account = record.with_company(company).property_account_expense_id
            return {"odoo_name": record.display_name, "odoo_detail": account.display_name or False}
        if kind == "project":
            return {"odoo_name": record.display_name, "odoo_detail": record.sudo().plan_id.name}
        card = self.env["qbo.master.data.sync"]._qbo_odoo_card(company, kind, record)
        return {"odoo_name": card["name"], "odoo_email": card["email"], "odoo_ref": card["ref"],
                "odoo_detail": " · ".join(filter(None, (card["email"], card["ref"]))) or False}

    @api.model
    def _qbo_card_values(self, card):
        return {"qbo_id": card["id"], "qbo_name": card["name"], "qbo_email": card.get("email"),
                "qbo_ref": card.get("ref"), "qbo_sync_token": card.get("sync_token"),
                "qbo_active": card.get("active", True), "qbo_detail": card.get("detail") or False,
                "qbo_rates": card.get("rates") or False, "qbo_is_project": card.get("is_project", False)}

    @api.model
    def _qbo_my_rows(self, company, kind):
        return self.search([("company_id", "=", company.id), ("kind", "=", kind), ("create_uid", "=", self.env.uid)])

    def _qbo_context(self):
        """Return ``(company, kind)`` of the selected rows (all of one kind).

        :raise UserError: if no row is selected, or rows of several kinds
        """
        if not self:
            raise UserError(_("QuickBooks: select the rows to act on first."))
        if len(set(self.mapped("kind"))) > 1:
            raise UserError(_("QuickBooks: select rows of one kind only (%s).",
                              ", ".join(sorted(set(self.mapped("kind"))))))
        return self[:1].company_id, self[:1].kind

    def _qbo_shown_kind(self):
        """Return ``(company, kind)`` for the buttons that act on the kind shown (not only on a selection):
        the kind of the selected rows, else the kind picked in the search panel.

        :raise UserError: if neither says which kind
        """
        if self:
            return self._qbo_context()
        for leaf in reversed(self.env.context.get("active_domain") or []):
            if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and tuple(leaf[:2]) == ("kind", "=") \
                    and leaf[2] in dict(KIND_SELECTION):
                return self.env.company, leaf[2]
        raise UserError(_("QuickBooks: pick the kind of records on the left first."))

    def _qbo_records(self):
        """Return the Odoo records of these rows (one model per kind)."""
        company, kind = self._qbo_context()
        model = EXPENSE_KINDS[kind][2] if kind in EXPENSE_KINDS else KINDS[kind].model
        records = self.env[model].browse(self.mapped("res_id")).with_company(company)
        return records.sudo() if kind == "employee" else records

    @api.model
    def _qbo_mapping_entity(self, kind):
        return EXPENSE_KINDS[kind][1] if kind in EXPENSE_KINDS else KINDS[kind].entity

    def _qbo_done(self, summary):
        message = self.env["qbo.master.data.sync"]._qbo_summary_message(summary)
        kind_type = "warning" if summary.errors or summary.notes else "success"
        return self.env.company._qbo_notification(message, kind_type, reload=True)

    # === ACTIONS (list header buttons) === #

    def action_link(self):
        """Link the selected Odoo row to the selected QuickBooks row (of the same kind).

        A tax whose rate differs from the QuickBooks code's, or two records whose names differ much, are
        linked only once confirmed (the dialog shows both rates, or both names).
        """
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        odoo_rows = self.filtered(lambda row: row.res_id and (row.state == "odoo" or kind == "tax"))
        qbo_rows = self - odoo_rows
        if len(self) != 2 or len(odoo_rows) != 1 or len(qbo_rows) != 1 or not qbo_rows.qbo_id \
                or (kind != "tax" and qbo_rows.state != "qbo"):
            raise UserError(_("QuickBooks: select exactly one row only in Odoo and one row only in QuickBooks."))
        odoo_name, qbo_name = odoo_rows.odoo_name or "", qbo_rows.qbo_name or ""
        if not self.env.context.get("qbo_link_confirmed"):
            if kind == "tax":
                question = odoo_rows._qbo_rate_mismatch(qbo_rows)
            else:
                score = similarity(normalize_name(odoo_name), normalize_name(qbo_name))
                question = kind != "account" and score < company.qbo_automatch_threshold and _(
                    "The names differ: %(odoo)s in Odoo, %(qbo)s in QuickBooks (similarity %(score)s of 100). "
                    "Linking them makes Odoo use this QuickBooks record for that one.",
                    odoo=odoo_name, qbo=qbo_name, score=score)
            if question:
                return self.env["qbo.mapping.confirm"].create({
                    "row_ids": [fields.Command.set(self.ids)], "message": question})._qbo_action()
        odoo_rows._qbo_link_pair(qbo_rows)
        summary = SyncSummary()
        summary.linked = 1
        return self._qbo_done(summary)

    def _qbo_rate_mismatch(self, qbo_row):
        """Why linking this Odoo tax row to ``qbo_row``'s code needs a confirmation, or False."""
        self.ensure_one()
        company = self.company_id
        if qbo_row.qbo_id in US_LINE_CODES:
            return False
        qbo_rate = (qbo_row.qbo_rates or {}).get(self.tax_use)
        if qbo_rate is not None and not float_compare(qbo_rate, self.odoo_rate, precision_digits=4):
            return False
        rate_text = _("%s %%", format(qbo_rate, "g")) if qbo_rate is not None else _("no %s rate",
                                                                               TAX_USES.get(self.tax_use, ""))
        message = _("%(tax)s is %(odoo)s %% in Odoo, and %(code)s is %(qbo)s in QuickBooks.",
                    tax=self.odoo_name, odoo=format(self.odoo_rate, "g"), code=qbo_row.qbo_name, qbo=rate_text)
        if company.qbo_country in ("US", "USA"):
            message += "\n" + _("In a US QuickBooks company, lines are taxable (TAX) or not (NON), and the sales "
                                "tax code of the whole invoice names the tax: Odoo sends its own tax amount, so "
                                "QuickBooks will show %(code)s with %(odoo)s %% of tax.",
                                code=qbo_row.qbo_name, odoo=format(self.odoo_rate, "g"))
        else:
            message += "\n" + _("Odoo sends its own tax amount: QuickBooks would then show a %(code)s tax that is "
                                "not its rate.", code=qbo_row.qbo_name)
        return message

    def _qbo_link_pair(self, qbo_row):
        """Link this Odoo row's record to ``qbo_row``'s QuickBooks record and merge the two rows.

        :raise UserError: if either side is linked elsewhere
        Note: self.ensure_one()
        """
        self.ensure_one()
        company, kind = self._qbo_context()
        record = self._qbo_records()
        card = {"id": qbo_row.qbo_id, "name": qbo_row.qbo_name, "email": qbo_row.qbo_email, "ref": qbo_row.qbo_ref,
                "sync_token": qbo_row.qbo_sync_token, "active": qbo_row.qbo_active, "detail": qbo_row.qbo_detail,
                "rates": qbo_row.qbo_rates, "is_project": qbo_row.qbo_is_project}
        if kind == "tax":
            tax_map = self.env["qbo.tax.map"]._qbo_link(company, record, card, company.qbo_country in ("US", "USA"))
            # several Odoo taxes may share a tax code: its row stays offered, showing who uses it
            users = self.env["qbo.tax.map"].search([
                ("company_id", "=", company.id), ("qbo_tax_code_id", "=", tax_map.qbo_tax_code_id),
                ("qbo_line_code", "=", tax_map.qbo_line_code)]).tax_id
            qbo_row.write({"state": "linked", "odoo_name": _("(used by %s)", ", ".join(users.mapped("name")))})
        else:
            self.env["qbo.mapping"]._link(company, record, self._qbo_mapping_entity(kind), card["id"],
                                          card["sync_token"], card["name"])
            qbo_row.unlink()
        self.write({**self._qbo_card_values(card), "state": "linked"})

    def action_unlink_pairs(self):
        """Remove the links of the selected linked rows (nothing changes in Odoo or QuickBooks)."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        rows = self.filtered(lambda row: row.state == "linked" and row.res_id)
        if not rows:
            raise UserError(_("QuickBooks: select linked rows to unlink."))
        records = rows._qbo_records()
        summary = SyncSummary()
        if kind == "tax":
            tax_maps = self.env["qbo.tax.map"].search([("company_id", "=", company.id), ("tax_id", "in", records.ids)])
            summary.unlinked = len(tax_maps)
            tax_maps.unlink()
        else:
            summary.unlinked = self.env["qbo.mapping"]._unlink(company, records, self._qbo_mapping_entity(kind))
            self.create([{
                "company_id": company.id, "kind": kind, "state": "qbo", "sequence": row.sequence,
                **row._qbo_card_values({"id": row.qbo_id, "name": row.qbo_name, "email": row.qbo_email,
                                        "ref": row.qbo_ref, "sync_token": row.qbo_sync_token,
                                        "active": row.qbo_active, "detail": row.qbo_detail,
                                        "is_project": row.qbo_is_project}),
            } for row in rows])
        rows.write({"state": "odoo", "qbo_id": False, "qbo_name": False, "qbo_email": False, "qbo_ref": False,
                    "qbo_sync_token": False, "qbo_active": True, "qbo_detail": False, "qbo_rates": False,
                    "qbo_is_project": False})
        return self._qbo_done(summary)

    def action_import(self):
        """Create the Odoo records of the selected QuickBooks rows (exact matches are linked instead)."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        rows = self.filtered(lambda row: row.state == "qbo" and row.qbo_id)
        if not rows:
            raise UserError(_("QuickBooks: select rows only in QuickBooks to import."))
        summary = SyncSummary()
        client = company._qbo_get_client()
        if kind in EXPENSE_KINDS:
            pull = self.env["qbo.expense.pull"].sudo()
            report = pull._qbo_new_report()
            ids = set(rows.mapped("qbo_id"))
            made = pull._qbo_categories(company, client, ids, report) if kind == "category" else \
                pull._qbo_projects(company, client, ids, report)
            summary.created = len(made)
            summary.errors += report.errors
        elif not KINDS[kind].importable:
            raise UserError(_("QuickBooks: %s cannot be imported; create them in Odoo and link them.",
                              dict(KIND_SELECTION)[kind]))
        else:
            sync = self.env["qbo.master.data.sync"]
            docs = sync._qbo_fetch_ids(client, kind, rows.mapped("qbo_id"))
            sync._qbo_import(company, kind, docs, summary)
        self._qbo_rebuild(company, [kind])
        return self._qbo_done(summary)

    def action_export(self):
        """Create the QuickBooks records of the selected Odoo rows (exact matches are linked instead)."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_context()
        rows = self.filtered(lambda row: row.state == "odoo")
        if not rows:
            raise UserError(_("QuickBooks: select rows only in Odoo to export."))
        if kind in EXPENSE_KINDS or not KINDS[kind].exportable:
            raise UserError(_("QuickBooks: %s are created in QuickBooks; link them to Odoo records here.",
                              dict(KIND_SELECTION)[kind]))
        summary = SyncSummary()
        self.env["qbo.master.data.sync"]._qbo_export(company, kind, rows._qbo_records(), summary)
        self._qbo_rebuild(company, [kind])
        return self._qbo_done(summary)

    def action_clear_all(self):
        """Remove every link of the kind shown for the company (nothing changes in either system)."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_shown_kind()
        summary = SyncSummary()
        if kind == "tax":
            links = self.env["qbo.tax.map"].search([("company_id", "=", company.id)])
        else:
            model = EXPENSE_KINDS[kind][2] if kind in EXPENSE_KINDS else KINDS[kind].model
            links = self.env["qbo.mapping"].search([
                ("company_id", "=", company.id), ("qbo_entity", "=", self._qbo_mapping_entity(kind)),
                ("res_model", "=", model),
            ])
        summary.unlinked = len(links)
        links.unlink()
        self._qbo_rebuild(company, [kind])
        return self._qbo_done(summary)

    def action_refresh(self):
        """Read both sides again."""
        self._qbo_check_access("manager", "write")
        self._qbo_rebuild(self.env.company)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_automatch(self):
        """Open the automatch review of the kind shown (its rows that are not linked)."""
        self._qbo_check_access("manager", "write")
        company, kind = self._qbo_shown_kind()
        wizard = self.env["qbo.automatch.wizard"].create({
            "company_id": company.id, "kind": kind, "threshold": company.qbo_automatch_threshold,
        })
        wizard.action_propose()
        return wizard._qbo_action()
