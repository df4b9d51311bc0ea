import hashlib
import json
import re

import psycopg2

from odoo import Command, _, api, models
from odoo.exceptions import AccessError, UserError

from ..const import DUPLICATE_NAME, PROJECT_ENTITY
from ..qbo_client import QboApiError
from ..qbo_master_data import (
    COUNTRY_ALIASES,
    KINDS,
    MasterDataError,
    SyncSummary,
    account_payload,
    account_values,
    employee_payload,
    employee_values,
    exact_matches,
    is_listed,
    partner_payload,
    partner_values,
    payment_method_payload,
    product_payload,
    product_values,
    qbo_card,
    query_literal,
    suffixed_name,
    term_payload,
    term_values,
)

PERSON_ENTITIES = ("Customer", "Vendor", "Employee")
ODOO_ACCOUNT_CODE = re.compile(r"^[A-Za-z0-9.]+$")


class QboMasterDataSync(models.AbstractModel):
    """Links, imports and exports master data (contacts, employees, products, accounts, terms,
    payment methods) between a company and its QuickBooks realm, never duplicating either side."""

    _name = "qbo.master.data.sync"
    _description = "QuickBooks Master Data Synchronization"

    # === ODOO SIDE === #

    @api.model
    def _qbo_odoo_domain(self, company, kind):
        """Return the domain of the Odoo records shown on the mapping screen of ``kind``."""
        if kind in ("customer", "vendor"):
            company_partners = self.env["res.company"].sudo().search([]).partner_id
            return [("parent_id", "=", False), ("partner_share", "=", True),
                    ("id", "not in", company_partners.ids), ("company_id", "in", [False, company.id])]
        if kind == "employee":
            return [("company_id", "=", company.id)]
        if kind == "product":
            return [("type", "in", ("service", "consu")), ("company_id", "in", [False, company.id])]
        if kind == "account":
            return [("company_ids", "in", company.id)]
        if kind == "term":
            return [("company_id", "in", [False, company.id])]
        if kind == "payment_method":
            return [("type", "in", ("bank", "cash", "credit")), ("company_id", "=", company.id)]
        if kind == "tax":
            return [("type_tax_use", "in", ("sale", "purchase")), ("company_id", "=", company.id)]
        raise UserError(_("QuickBooks: unknown kind of master data %s.", kind))

    @api.model
    def _qbo_odoo_model(self, kind):
        """Return the Odoo model of ``kind``; employees are read as superuser (their public fields only)."""
        model = self.env[KINDS[kind].model]
        return model.sudo() if kind == "employee" else model

    @api.model
    def _qbo_odoo_records(self, company, kind):
        return self._qbo_odoo_model(kind).with_company(company).search(self._qbo_odoo_domain(company, kind))

    @api.model
    def _qbo_odoo_values(self, company, kind, record):
        """Return the plain values the payload builders of ``qbo_master_data`` take."""
        if kind in ("customer", "vendor"):
            return {
                "name": record.name, "is_company": record.is_company, "email": record.email,
                "phone": record.phone, "mobile": record.mobile, "website": record.website, "ref": record.ref,
                "street": record.street, "street2": record.street2, "city": record.city, "zip": record.zip,
                "state_code": record.state_id.code, "country_code": record.country_id.code,
            }
        if kind == "employee":
            return {"name": record.name, "email": record.work_email, "phone": record.work_phone,
                    "mobile": record.mobile_phone}
        if kind == "product":
            return {"name": record.name, "default_code": record.default_code, "type": record.type,
                    "list_price": record.list_price, "standard_price": record.with_company(company).standard_price,
                    "description": record.description_sale, "purchase_ok": record.purchase_ok}
        if kind == "account":
            return {"name": record.name, "code": record.with_company(company).code,
                    "account_type": record.account_type}
        if kind == "term":
            return {
                "name": record.name, "early_discount": record.early_discount,
                "discount_percentage": record.discount_percentage, "discount_days": record.discount_days,
                "lines": [{"value": line.value, "value_amount": line.value_amount, "delay_type": line.delay_type,
                           "nb_days": line.nb_days} for line in record.line_ids],
            }
        if kind == "payment_method":
            return {"name": record.name, "type": record.type}
        return {"name": record.name}

    @api.model
    def _qbo_odoo_card(self, company, kind, record, values=None):
        """Return ``{"id", "name", "email", "ref"}`` of an Odoo record, as :func:`qbo_card` does for QuickBooks."""
        values = values or self._qbo_odoo_values(company, kind, record)
        reference = {"vendor": values.get("ref"), "product": values.get("default_code"),
                     "account": values.get("code")}.get(kind)
        return {"id": record.id, "name": values.get("name") or "", "email": values.get("email") or None,
                "ref": reference or None}

    # === QUICKBOOKS SIDE === #

    @api.model
    def _qbo_fetch(self, client, kind, where=None):
        """Return the QuickBooks records of ``kind`` listed on the mapping screen (paged queries)."""
        entity = KINDS[kind].entity
        return [doc for doc in client.query_all(entity, where=where) if is_listed(entity, doc)]

    @api.model
    def _qbo_fetch_ids(self, client, kind, qbo_ids):
        """Return the QuickBooks records of ``kind`` with the given Ids, 1000 per query."""
        qbo_ids = list(qbo_ids)
        docs = []
        for start in range(0, len(qbo_ids), 1000):
            chunk = ", ".join(query_literal(qbo_id) for qbo_id in qbo_ids[start:start + 1000])
            docs += client.query_all(KINDS[kind].entity, where=f"Id IN ({chunk})")
        return docs

    @api.model
    def _qbo_find_by_name(self, client, entity, name):
        """Return the QuickBooks record of ``entity`` named ``name``, active or not, or None."""
        field = "DisplayName" if entity in PERSON_ENTITIES else "Name"
        docs = client.query_all(entity, where=f"{field} = {query_literal(name)} AND Active IN (true, false)")
        return docs[0] if docs else None

    # === IMPORT === #

    @api.model
    def _qbo_import(self, company, kind, docs, summary):
        """Create (or link by an exact match) the Odoo records of QuickBooks records ``docs``.

        :param list docs: QuickBooks records of ``kind`` as read from QuickBooks
        :param SyncSummary summary: counts and errors are added to it
        :return: ``{qbo_id: record}`` for every record linked or created
        :rtype: dict
        """
        company.with_env(self.env)._qbo_check_access("manager")
        spec = KINDS[kind]
        if not spec.importable:
            raise UserError(_("QuickBooks: %s cannot be imported; create them in Odoo and link them.",
                              spec.entity))
        mapping_model = self.env["qbo.mapping"]
        result = mapping_model._records_for(company, spec.entity, [doc["Id"] for doc in docs])
        todo = [doc for doc in docs if str(doc["Id"]) not in result]
        if not todo:
            return result
        records = self._qbo_odoo_records(company, kind)
        linked_ids = set(mapping_model._qbo_ids_for(records, spec.entity, company))
        free = records.filtered(lambda record: record.id not in linked_ids)
        odoo_cards = [self._qbo_odoo_card(company, kind, record) for record in free]
        docs_by_id = {str(doc["Id"]): doc for doc in todo}
        for proposal in exact_matches(odoo_cards, [qbo_card(spec.entity, doc) for doc in todo]):
            record = free.browse(proposal.odoo_id)
            if self._qbo_link_safely(company, record, spec.entity, docs_by_id.pop(proposal.qbo_id), summary):
                result[proposal.qbo_id] = record
                summary.linked += 1
        for qbo_id, doc in docs_by_id.items():
            try:
                with self.env.cr.savepoint():
                    record = self._qbo_create_odoo_record(company, kind, doc)
                    self.env["qbo.mapping"]._link(company, record, spec.entity, qbo_id, doc.get("SyncToken"),
                                                  qbo_card(spec.entity, doc)["name"])
            except (UserError, AccessError, MasterDataError, ValueError, psycopg2.IntegrityError) as error:
                summary.add_error(qbo_card(spec.entity, doc)["name"], error)
                continue
            result[qbo_id] = record
            summary.imported += 1
        return result

    @api.model
    def _qbo_create_odoo_record(self, company, kind, doc):
        """Create the Odoo record of one QuickBooks record (never pushed back to QuickBooks)."""
        model = self.env[KINDS[kind].model].with_company(company).with_context(qbo_no_push=True)
        if kind in ("customer", "vendor"):
            values = partner_values(doc)
            country = values.pop("country_code", None)
            country = COUNTRY_ALIASES.get(country, country)
            state = values.pop("state_code", None)
            country_record = country and self.env["res.country"].search(
                ["|", ("code", "=ilike", country), ("name", "=ilike", country)], limit=1)
            if country_record:
                values["country_id"] = country_record.id
                state_record = state and self.env["res.country.state"].search(
                    [("country_id", "=", country_record.id), ("code", "=ilike", state)], limit=1)
                if state_record:
                    values["state_id"] = state_record.id
            if kind == "customer":
                values.pop("ref", None)
            values["customer_rank" if kind == "customer" else "supplier_rank"] = 1
            return model.create(values)
        if kind == "employee":
            return model.create({**employee_values(doc), "company_id": company.id})
        if kind == "product":
            values = product_values(doc)
            income = values.pop("qbo_income_account_id", None)
            expense = values.pop("qbo_expense_account_id", None)
            accounts = self.env["qbo.mapping"]._records_for(company, "Account", filter(None, (income, expense)))
            if income in accounts:
                values["property_account_income_id"] = accounts[income].id
            if expense in accounts:
                values["property_account_expense_id"] = accounts[expense].id
            return model.create(values)
        if kind == "account":
            values = account_values(doc)
            code = values.get("code")
            if not code or not ODOO_ACCOUNT_CODE.match(code) or model.search_count(
                    [("code", "=", code), ("company_ids", "in", company.id)]):
                code = self._qbo_free_account_code(company, f"QBO{doc['Id']}")
            return model.create({**values, "code": code, "company_ids": [Command.set(company.ids)]})
        values = term_values(doc)
        return model.create({
            "name": values["name"],
            "early_discount": values.get("early_discount", False),
            "discount_percentage": values.get("discount_percentage", 0),
            "discount_days": values.get("discount_days", 0),
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": values["line_days"]})],
        })

    @api.model
    def _qbo_free_account_code(self, company, code):
        accounts = self.env["account.account"].with_company(company)
        candidate, number = code, 1
        while accounts.search_count([("code", "=", candidate), ("company_ids", "in", company.id)]):
            number += 1
            candidate = f"{code}.{number}"
        return candidate

    # === EXPORT (RESOLVE OR CREATE) === #

    @api.model
    def _qbo_export(self, company, kind, records, summary, client=None):
        """Return the QuickBooks ids of ``records``, linking exact matches and creating the missing.

        Already linked records cost no request. The others are matched against the QuickBooks
        list (same reference, email or name); the rest is created in batches with a requestid, so
        a retry never duplicates. A DisplayName taken by another kind of name (Fault 6240) is
        linked when the holder is a free record of the same kind, else created with a suffix
        such as ``"Acme (C)"``, and the user is told.

        :param records: Odoo records of ``kind``
        :param SyncSummary summary: counts, errors and notes are added to it
        :param client: a ``QboClient`` to reuse
        :return: ``{record_id: qbo_id}`` for every record linked
        :rtype: dict
        """
        company.with_env(self.env)._qbo_check_access("manager")
        spec = KINDS[kind]
        if not spec.exportable:
            raise UserError(_("QuickBooks: %s cannot be created from Odoo; link them to existing ones.",
                              spec.entity))
        records = records.sudo() if kind == "employee" else records
        mapping_model = self.env["qbo.mapping"]
        result = mapping_model._qbo_ids_for(records, spec.entity, company)
        todo = records.filtered(lambda record: record.id not in result)
        if not todo:
            return result
        client = client or company._qbo_get_client()
        docs = self._qbo_fetch(client, kind)
        linked_qbo_ids = set(mapping_model._records_for(company, spec.entity, [doc["Id"] for doc in docs]))
        free_cards = [qbo_card(spec.entity, doc) for doc in docs if str(doc["Id"]) not in linked_qbo_ids]
        values = {record.id: self._qbo_odoo_values(company, kind, record) for record in todo}
        cards = [self._qbo_odoo_card(company, kind, record, values[record.id]) for record in todo]
        docs_by_id = {str(doc["Id"]): doc for doc in docs}
        for proposal in exact_matches(cards, free_cards):
            record = todo.browse(proposal.odoo_id)
            if self._qbo_link_safely(company, record, spec.entity, docs_by_id[proposal.qbo_id], summary):
                result[record.id] = proposal.qbo_id
                summary.linked += 1
        to_create = todo.filtered(lambda record: record.id not in result)
        payloads = self._qbo_payloads(company, kind, to_create, values, summary, client)
        result.update(self._qbo_create_many(company, kind, payloads, summary, client))
        return result

    @api.model
    def _qbo_payloads(self, company, kind, records, values, summary, client):
        """Return ``[(record, payload)]`` for ``records``; records that cannot be translated become errors."""
        if kind == "product" and records:
            accounts = self._qbo_product_accounts(company, records, summary, client)
        payloads = []
        for record in records:
            record_values = values[record.id]
            try:
                if kind in ("customer", "vendor"):
                    payload = partner_payload(record_values, KINDS[kind].entity)
                elif kind == "employee":
                    payload = employee_payload(record_values)
                elif kind == "product":
                    payload = product_payload(record_values, *accounts[record.id])
                elif kind == "account":
                    payload = account_payload(record_values)
                elif kind == "term":
                    payload = term_payload(record_values)
                else:
                    payload = payment_method_payload(record_values)
            except MasterDataError as error:
                summary.add_error(record.display_name, error)
                continue
            payloads.append((record, payload))
        return payloads

    @api.model
    def _qbo_product_accounts(self, company, products, summary, client):
        """Return ``{product_id: (income_qbo_id, expense_qbo_id)}``: the products' own accounts when
        linked, else the company's default accounts, else the products' own accounts matched or
        created in QuickBooks (never duplicated)."""
        product_accounts = {product.id: product.with_company(company)._get_product_accounts() for product in products}
        defaults = {"income": company.qbo_default_income_account_id,
                    "expense": company.qbo_default_expense_account_id}
        own = self.env["account.account"].union(
            *(accounts["income"] | accounts["expense"] for accounts in product_accounts.values()))
        linked = self.env["qbo.mapping"]._qbo_ids_for(own, "Account", company)
        needed = self.env["account.account"]
        for product in products:
            accounts = product_accounts[product.id]
            # QuickBooks items carry an expense account only when they are purchased too.
            for role in ("income", "expense") if product.purchase_ok else ("income",):
                if accounts[role] and accounts[role].id not in linked:
                    needed |= defaults[role] or accounts[role]
        if needed:
            linked.update(self._qbo_export(company, "account", needed, summary, client))

        def qbo_id(accounts, role):
            return linked.get(accounts[role].id) or linked.get(defaults[role].id)
        return {
            product_id: (qbo_id(accounts, "income"), qbo_id(accounts, "expense"))
            for product_id, accounts in product_accounts.items()
        }

    @api.model
    def _qbo_requestid(self, company, kind, payloads, variant=""):
        """Return a requestid stable across retries of the same creation (at most 50 characters).

        It is derived from the company, the records and what is sent: a retry after a lost answer
        replays, while a corrected record (a new payload) is really sent again.

        :param list payloads: ``[(record, payload)]``
        """
        content = sorted([record.id, payload] for record, payload in payloads)
        digest = hashlib.sha1(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:20]
        return f"{self.env['qbo.export.engine']._qbo_requestid_prefix(company)}-m{kind[:4]}-{digest}{variant}"

    @api.model
    def _qbo_create_many(self, company, kind, payloads, summary, client):
        """Create ``payloads`` in QuickBooks by batches of 30 and link each created record.

        :param list payloads: ``[(record, payload)]``
        :return: ``{record_id: qbo_id}`` of the records linked
        """
        entity = KINDS[kind].entity
        result = {}
        if not payloads:
            return result
        items = [{"bId": str(record.id), "operation": "create", entity: payload} for record, payload in payloads]
        requestid = self._qbo_requestid(company, kind, payloads)
        logs = []
        try:
            responses = client.batch(items, requestid=requestid)
        except QboApiError as error:
            for record, payload in payloads:
                self._qbo_creation_failed(company, entity, record, payload, error, summary, logs, requestid)
            self.env["qbo.sync.log"]._qbo_log(logs)
            return result
        for (record, payload), response in zip(payloads, responses):
            if entity in response:
                if self._qbo_link_safely(company, record, entity, response[entity], summary):
                    result[record.id] = str(response[entity]["Id"])
                    summary.created += 1
                    logs.append(self._qbo_log_values(company, entity, record, "success", requestid,
                                                     doc=response[entity]))
                continue
            error = QboApiError.from_fault(response.get("Fault") or {}, status=400, intuit_tid=client.last_intuit_tid)
            if error.code == DUPLICATE_NAME:
                qbo_id = self._qbo_resolve_duplicate_name(company, kind, record, payload, summary, client)
                if qbo_id:
                    result[record.id] = qbo_id
                continue
            self._qbo_creation_failed(company, entity, record, payload, error, summary, logs, requestid, client)
        self.env["qbo.sync.log"]._qbo_log(logs)
        return result

    @api.model
    def _qbo_creation_failed(self, company, entity, record, payload, error, summary, logs, requestid, client=None):
        """QuickBooks refused to create ``record``: say why in the summary and the sync log."""
        message = self.env["qbo.fault"]._qbo_explain(error, company=company, record=record, entity=entity,
                                                     payload=payload, client=client)
        summary.add_error(record.display_name, message)
        logs.append(self._qbo_log_values(company, entity, record, "retry" if error.retryable else "error",
                                         requestid, message=message, error=error,
                                         name=payload.get("DisplayName") or payload.get("Name")))

    @api.model
    def _qbo_log_values(self, company, entity, record, status, requestid, doc=None, message=None, error=None,
                        name=None):
        """The sync log of one creation of master data in QuickBooks."""
        card = qbo_card(entity, doc) if doc else {}
        return {
            "company_id": company.id, "direction": "export", "operation": "create", "qbo_entity": entity,
            "qbo_id": str(doc["Id"]) if doc else False, "qbo_doc_number": card.get("name") or name or False,
            "res_model": record._name, "res_id": record.id, "res_name": record.display_name, "status": status,
            "message": message or False, "requestid": requestid or False, "error": error,
        }

    @api.model
    def _qbo_resolve_duplicate_name(self, company, kind, record, payload, summary, client):
        """Settle a creation refused with Fault 6240 (the name is already used in QuickBooks).

        A free record of the same kind holding the name is linked; a name held by another kind of
        name (a customer named like a vendor or an employee) is created with a suffix.

        :return: the QuickBooks id linked, or None (the error is in ``summary``)
        """
        entity = KINDS[kind].entity
        name_field = "DisplayName" if entity in PERSON_ENTITIES else "Name"
        name = payload[name_field]
        try:
            holder = self._qbo_find_by_name(client, entity, name)
            if holder and self._qbo_is_free(company, entity, holder):
                if self._qbo_link_safely(company, record, entity, holder, summary):
                    summary.linked += 1
                    summary.notes.append(self._qbo_note_linked(entity, holder))
                    return str(holder["Id"])
                return None
            if entity not in PERSON_ENTITIES:
                summary.add_error(record.display_name, _(
                    "the name %(name)s is already used by another QuickBooks %(entity)s linked to another Odoo "
                    "record; rename one of them.", name=name, entity=entity))
                return None
            for variant, new_name in (("-s1", suffixed_name(name, entity)),
                                      ("-s2", suffixed_name(name, entity, record.id))):
                new_payload = {**payload, name_field: new_name}
                try:
                    doc = client.create(entity, new_payload,
                                        requestid=self._qbo_requestid(company, kind, [(record, new_payload)], variant))
                except QboApiError as error:
                    if error.code != DUPLICATE_NAME:
                        raise
                    holder = self._qbo_find_by_name(client, entity, new_name)
                    if not (holder and self._qbo_is_free(company, entity, holder)):
                        continue
                    doc = holder
                if self._qbo_link_safely(company, record, entity, doc, summary):
                    summary.created += 1
                    summary.notes.append(_(
                        "%(name)s is already used by another customer, vendor or employee in QuickBooks: "
                        "%(record)s is linked to the %(entity)s %(new_name)s.",
                        name=name, record=record.display_name, entity=entity, new_name=doc[name_field]))
                    return str(doc["Id"])
                return None
            summary.add_error(record.display_name, _("the name %s and its suffixed forms are all taken in "
                                                     "QuickBooks.", name))
        except QboApiError as error:
            summary.add_error(record.display_name, self.env["qbo.fault"]._qbo_explain(
                error, company=company, record=record, entity=entity, payload=payload, client=client))
        return None

    @api.model
    def _qbo_note_linked(self, entity, doc):
        card = qbo_card(entity, doc)
        if not card["active"]:
            return _("%(entity)s %(name)s already existed in QuickBooks (inactive) and was linked.",
                     entity=entity, name=card["name"])
        return _("%(entity)s %(name)s already existed in QuickBooks and was linked.", entity=entity, name=card["name"])

    @api.model
    def _qbo_is_free(self, company, entity, doc):
        return not self.env["qbo.mapping"]._records_for(company, entity, [doc["Id"]])

    @api.model
    def _qbo_link_safely(self, company, record, entity, doc, summary):
        """Link ``record`` to ``doc`` in a savepoint; a refusal becomes an error of ``summary``."""
        try:
            with self.env.cr.savepoint():
                self.env["qbo.mapping"]._link(company, record, entity, doc["Id"], doc.get("SyncToken"),
                                              qbo_card(entity, doc)["name"])
        except UserError as error:
            summary.add_error(record.display_name, error)
            return False
        return True

    @api.model
    def _qbo_export_projects(self, company, owners, customers, summary, client):
        """Link the projects (analytic accounts of the projects plan) to their QuickBooks projects, creating
        those not there yet, each under its customer: QuickBooks projects are sub-customers flagged as
        projects (https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-projects). By batches,
        with a requestid stable across replays; a project QuickBooks has by that name under that customer
        already is linked.

        :param dict owners: ``{account: customer}``, the Odoo customer holding each project
        :param dict customers: ``{partner id: QuickBooks Customer Id}`` of the customers linked
        :return: ``{account id: QuickBooks Id}``; those without a customer or refused are errors of ``summary``
        """
        mapping = self.env["qbo.mapping"]
        accounts = self.env["account.analytic.account"].concat(*owners)
        parents = {account.id: customers.get(partner.id) for account, partner in owners.items()}
        result = mapping._qbo_ids_for(accounts, PROJECT_ENTITY, company)
        payloads = []
        for account in accounts.filtered(lambda account: account.id not in result):
            if not parents.get(account.id):
                summary.add_error(account.display_name, _("no customer to hold the project in QuickBooks: give the "
                                                          "project a customer"))
                continue
            payloads.append((account, {"DisplayName": account.name[:100], "IsProject": True, "Job": True,
                                       "ParentRef": {"value": parents[account.id]}}))
        if not payloads:
            return result
        items = [{"bId": str(account.id), "operation": "create", "Customer": payload} for account, payload in payloads]
        requestid = self._qbo_requestid(company, "project", payloads)
        responses = client.batch(items, requestid=requestid)
        logs = []
        for (account, payload), response in zip(payloads, responses):
            doc = response.get("Customer")
            if not doc:
                error = QboApiError.from_fault(response.get("Fault") or {}, status=400,
                                               intuit_tid=client.last_intuit_tid)
                found = error.code == DUPLICATE_NAME and self._qbo_find_by_name(client, "Customer",
                                                                                 payload["DisplayName"])
                if not (found and found.get("IsProject") and str((found.get("ParentRef") or {}).get("value"))
                        == str(payload["ParentRef"]["value"]) and self._qbo_is_free(company, PROJECT_ENTITY, found)):
                    self._qbo_creation_failed(company, "Customer", account, payload, error, summary, logs, requestid,
                                              client)
                    continue
                doc = found
            else:
                summary.created += 1
            if self._qbo_link_safely(company, account, PROJECT_ENTITY, doc, summary):
                result[account.id] = str(doc["Id"])
                logs.append(self._qbo_log_values(company, "Customer", account, "success", requestid, doc=doc))
        self.env["qbo.sync.log"]._qbo_log(logs)
        return result

    # === ENTRY POINTS FOR DOCUMENT EXPORTS === #

    @api.model
    def _qbo_resolve_partner(self, company, partners, as_entity="Customer", summary=None, client=None):
        """Return ``{partner_id: qbo_id}`` for the commercial partners of ``partners``, as Customer or Vendor.

        The keys are the ids of the partners given (contacts resolve to their company).

        :raise UserError: if some partner could not be resolved (the summary's errors are listed)
        """
        kind = "customer" if as_entity == "Customer" else "vendor"
        summary = summary if summary is not None else SyncSummary()
        commercial = partners.commercial_partner_id
        resolved = self._qbo_export(company, kind, commercial, summary, client)
        return self._qbo_resolved_or_raise(
            {partner.id: resolved.get(partner.commercial_partner_id.id) for partner in partners}, partners, summary)

    @api.model
    def _qbo_resolve_product(self, company, products, summary=None, client=None):
        """Return ``{product_id: qbo_item_id}`` for ``products``, linking or creating QuickBooks items."""
        summary = summary if summary is not None else SyncSummary()
        return self._qbo_resolved_or_raise(self._qbo_export(company, "product", products, summary, client),
                                           products, summary)

    @api.model
    def _qbo_resolve_records(self, company, kind, records, summary=None, client=None):
        """Return ``{record_id: qbo_id}`` for records of any exportable ``kind``."""
        summary = summary if summary is not None else SyncSummary()
        return self._qbo_resolved_or_raise(self._qbo_export(company, kind, records, summary, client),
                                           records, summary)

    @api.model
    def _qbo_deposit_account_id(self, company, journal=None, client=None):
        """Return the QuickBooks account receiving payments: the journal's account when linked, else the
        company's deposit account, else QuickBooks' Undeposited Funds."""
        accounts = (journal.default_account_id if journal else self.env["account.account"])
        linked = self.env["qbo.mapping"]._qbo_ids_for(accounts, "Account", company)
        if accounts and accounts.id in linked:
            return linked[accounts.id]
        if company.qbo_deposit_account_id:
            return self._qbo_resolve_records(company, "account", company.qbo_deposit_account_id,
                                             client=client)[company.qbo_deposit_account_id.id]
        client = client or company._qbo_get_client()
        funds = [account for account in client.query_all("Account")
                 if account.get("AccountSubType") == "UndepositedFunds" or account.get("Name") == "Undeposited Funds"]
        if not funds:
            raise UserError(_("QuickBooks: no Undeposited Funds account; choose a deposit account in the settings."))
        return str(funds[0]["Id"])

    @api.model
    def _qbo_resolved_or_raise(self, result, records, summary):
        """Return ``result`` when every record of ``records`` has a QuickBooks id, else raise with the reasons."""
        missing = records.filtered(lambda record: not result.get(record.id))
        if missing:
            details = "; ".join(f"{label}: {message}" for label, message in summary.errors)
            raise UserError(_("QuickBooks: %(records)s could not be linked (%(details)s).",
                              records=", ".join(missing.mapped("display_name")), details=details))
        return result

    # === TOOLING === #

    @api.model
    def _qbo_summary_message(self, summary):
        """Return the sentence telling the user what happened, e.g. "2 linked, 3 created in QuickBooks"."""
        parts = []
        if summary.linked:
            parts.append(_("%s linked", summary.linked))
        if summary.created:
            parts.append(_("%s created in QuickBooks", summary.created))
        if summary.imported:
            parts.append(_("%s created in Odoo", summary.imported))
        if summary.unlinked:
            parts.append(_("%s unlinked", summary.unlinked))
        if summary.errors:
            details = "; ".join(f"{label}: {message}" for label, message in summary.errors[:5])
            parts.append(_("%(count)s error(s): %(details)s", count=len(summary.errors), details=details))
        message = ", ".join(parts) or _("Nothing to do.")
        if summary.notes:
            message += "\n" + "\n".join(summary.notes)
        return message
