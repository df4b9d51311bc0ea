import re

from odoo import api, models
from odoo.tools import LazyTranslate, format_time

from ..const import (
    AUTHENTICATION_FAULTS,
    CATEGORY_ENTITY,
    COMPANY_STATUS,
    DUPLICATE_DOC_NUMBER,
    DUPLICATE_NAME,
    INVALID_PROPERTY,
    INVALID_REFERENCE,
    NOT_FOUND,
    PERIOD_CLOSED,
    PROJECT_ENTITY,
    STALE_OBJECT,
)
from ..qbo_client import QboApiError
from ..qbo_master_data import KINDS

_lt = LazyTranslate(__name__)

# What a user calls each QuickBooks entity (in a sentence).
ENTITY_LABELS = {
    "Invoice": _lt("invoice"), "CreditMemo": _lt("credit memo"), "Bill": _lt("bill"),
    "VendorCredit": _lt("vendor credit"), "Payment": _lt("payment"), "BillPayment": _lt("bill payment"),
    "Purchase": _lt("expense"), "SalesReceipt": _lt("sales receipt"), "Deposit": _lt("deposit"),
    "JournalEntry": _lt("journal entry"), "Customer": _lt("customer"), "Vendor": _lt("vendor"),
    "Employee": _lt("employee"), "Item": _lt("item"), "Account": _lt("account"), "Term": _lt("term"),
    "TaxCode": _lt("tax code"), "TaxRate": _lt("tax rate"), "Class": _lt("class"), "Department": _lt("location"),
    "PaymentMethod": _lt("payment method"), "Currency": _lt("currency"), "CDC": _lt("changes"),
    "Preferences": _lt("company settings"), "CompanyInfo": _lt("company information"),
    PROJECT_ENTITY: _lt("project"), CATEGORY_ENTITY: _lt("expense category"),
}
# What a user calls each kind of Odoo record a QuickBooks record is linked to.
ODOO_LABELS = {
    ("res.partner", "Customer"): _lt("customer"), ("res.partner", "Vendor"): _lt("vendor"),
    ("res.partner", "Employee"): _lt("contact"), ("hr.employee", "Employee"): _lt("employee"),
    ("product.product", "Item"): _lt("product"), ("product.product", CATEGORY_ENTITY): _lt("expense category"),
    ("account.account", "Account"): _lt("account"), ("account.payment.term", "Term"): _lt("payment term"),
    ("account.journal", "PaymentMethod"): _lt("journal"), ("account.tax", "TaxCode"): _lt("tax"),
    ("account.analytic.account", PROJECT_ENTITY): _lt("project"),
}
# The reference fields of QuickBooks payloads and the entity each one names (``EntityRef`` says it in ``type``).
REFERENCE_ENTITIES = {
    "CustomerRef": "Customer", "VendorRef": "Vendor", "EmployeeRef": "Employee", "ItemRef": "Item",
    "AccountRef": "Account", "APAccountRef": "Account", "ARAccountRef": "Account", "DepositToAccountRef": "Account",
    "DiscountAccountRef": "Account", "IncomeAccountRef": "Account", "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account", "BankAccountRef": "Account", "CCAccountRef": "Account",
    "SalesTermRef": "Term", "TermRef": "Term", "TaxCodeRef": "TaxCode", "TxnTaxCodeRef": "TaxCode",
    "TaxRateRef": "TaxRate", "ClassRef": "Class", "DepartmentRef": "Department",
    "PaymentMethodRef": "PaymentMethod", "ProjectRef": "Customer",
}
# The line tax codes of US companies: no records of their own.
US_LINE_CODES = ("TAX", "NON")
# The links (qbo.mapping entities) that may hold a QuickBooks record of each entity.
MAPPING_ENTITIES = {"Account": ("Account", CATEGORY_ENTITY), "Customer": ("Customer", PROJECT_ENTITY)}
# Entities a query can read inactive records of (name lists) and the field holding their name.
NAME_FIELDS = {"Customer": "DisplayName", "Vendor": "DisplayName", "Employee": "DisplayName"}
# Intuit's "Invalid Reference Id : Items element id 5 not found" names the list in the plural.
REFERENCE_LIST_LABELS = {
    "Names": "Customer", "Accounts": "Account", "Klasses": "Class", "Items": "Item", "Departments": "Department",
    "Terms": "Term", "PaymentMethods": "PaymentMethod", "TaxCodes": "TaxCode", "TaxRates": "TaxRate",
}
MISSING_ID = re.compile(r"(\w+) element id (\S+) not found")
DUPLICATE_NUMBER = re.compile(r"DocNumber=(.+?) is assigned to TxnType=(.+?) with TxnId=(\S+)")
DELETED = re.compile(r"deleted", re.IGNORECASE)


def upper_first(text):
    """``text`` with its first letter in upper case (the others as they are, unlike ``capitalize``)."""
    return text[:1].upper() + text[1:]


class QboFault(models.AbstractModel):
    """Turns a QuickBooks fault into what the user can fix: one place for every message the
    engines, notifications, documents and the sync log show.

    Intuit's codes and their meaning:
    https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes and
    https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/handling-common-errors
    (610 inactive or deleted object, 2500 invalid reference, 5010 stale object, 6000 business
    validation, 6140 duplicate document number, 6190 invalid company status, 6210 account period
    closed, 6240 duplicate name); the most frequent ones and how to handle them:
    https://developer.intuit.com/hub/blog/2017/06/08/top-quickbooks-online-api-errors-and-how-to-handle-them.
    Intuit's own code, message and intuit_tid stay in the sync log for support (developer mode).
    """

    _name = "qbo.fault"
    _description = "QuickBooks Fault Messages"

    @api.model
    def _qbo_explain(self, error, company=None, record=None, entity=None, payload=None, client=None,
                     retry_at=None, cache=None):
        """Return the message a user reads for ``error``.

        :param error: a ``QboApiError`` (any other exception is already worded for users: its text)
        :param company: the company whose QuickBooks answered
        :param record: the Odoo record the call was about, if any
        :param str entity: the QuickBooks entity sent or read
        :param dict payload: what was sent (its references tell which QuickBooks record is meant)
        :param client: a ``QboClient`` to look up which of several references is inactive (a read)
        :param retry_at: when a temporary failure is tried again automatically (naive UTC)
        :param dict cache: lookups already made in this run (several records failing alike cost one)
        :rtype: str
        """
        if not isinstance(error, QboApiError):
            text = str(error.args[0] if isinstance(error, Exception) and error.args else error)
            return text[:1].upper() + text[1:]
        company = company or self.env.company
        context = {"company": company, "record": record, "entity": entity or "", "payload": payload or {},
                   "client": client, "cache": cache if cache is not None else {}}
        if error.retryable:
            return self._qbo_explain_busy(retry_at)
        if error.code in AUTHENTICATION_FAULTS or error.status in (401, 403):
            return self._qbo_explain_authorization(error, company)
        handler = {
            NOT_FOUND: self._qbo_explain_not_found,
            INVALID_REFERENCE: self._qbo_explain_reference,
            INVALID_PROPERTY: self._qbo_explain_property,
            DUPLICATE_NAME: self._qbo_explain_duplicate_name,
            DUPLICATE_DOC_NUMBER: self._qbo_explain_duplicate_number,
            STALE_OBJECT: self._qbo_explain_stale,
            COMPANY_STATUS: self._qbo_explain_company_status,
            PERIOD_CLOSED: self._qbo_explain_closed_period,
        }.get(error.code, self._qbo_explain_refusal)
        return handler(error, context)

    # === ONE KIND OF FAULT EACH === #

    @api.model
    def _qbo_explain_busy(self, retry_at):
        """Throttling, outages and lost answers: never an error, the call is made again."""
        if retry_at:
            return self.env._("QuickBooks is busy or unavailable right now; Odoo tries again automatically at %s.",
                              format_time(self.env, retry_at, time_format="short"))
        return self.env._("QuickBooks is busy or unavailable right now; try again in a few minutes.")

    @api.model
    def _qbo_explain_authorization(self, error, company):
        """QuickBooks no longer accepts Odoo's authorization: only a reconnection helps."""
        where = self.env._("Settings > Companies > %s > QuickBooks", company.name)
        if self.env.user.has_group("base.group_system"):
            action = self.env._("reconnect it on %s (Reconnect).", where)
        else:
            action = self.env._("ask a system administrator to reconnect it (%s).", where)
        return self.env._("QuickBooks refused Odoo's authorization for %(company)s (%(reason)s): %(action)s",
                          company=company.name, reason=self._qbo_intuit_text(error), action=action)

    @api.model
    def _qbo_explain_not_found(self, error, context):
        """610: something the call names is inactive, or a transaction was deleted in QuickBooks."""
        deleted = DELETED.search(f"{error.message} {error.detail}")
        if deleted and error.element.startswith("LinkedTxn"):
            return self._qbo_explain_linked_deleted(context)
        if deleted or not context["payload"]:
            return self._qbo_explain_gone(context)
        return self._qbo_explain_references(error, self._qbo_references(error, context["payload"]), context,
                                            missing=False)

    @api.model
    def _qbo_explain_reference(self, error, context):
        """2500: a reference names a record QuickBooks does not have (or not any more)."""
        found = MISSING_ID.search(error.detail or "")
        refs = self._qbo_references(error, context["payload"])
        if found:
            entity = REFERENCE_LIST_LABELS.get(found[1])
            refs = [ref for ref in refs if ref[1] == found[2]] or \
                ([(entity, found[2])] if entity else [])
        return self._qbo_explain_references(error, refs, context, missing=True)

    @api.model
    def _qbo_explain_property(self, error, context):
        """2010: a reference QuickBooks refuses is a wrong link; any other property, Intuit's words."""
        if error.element.endswith("Ref"):
            return self._qbo_explain_references(error, self._qbo_references(error, context["payload"]), context,
                                                missing=True)
        return self._qbo_explain_refusal(error, context)

    @api.model
    def _qbo_explain_duplicate_name(self, error, context):
        """6240: QuickBooks names are unique (customers, vendors and employees share theirs)."""
        entity, record, payload = context["entity"], context["record"], context["payload"]
        name = payload.get("DisplayName") or payload.get("Name") or (record.display_name if record else "")
        if entity in ("Customer", "Vendor", "Employee"):
            holder = self.env._("another customer, vendor or employee (they share names in QuickBooks)")
        else:
            holder = self.env._("another %s", self._qbo_entity_label(entity or "Item"))
        tab = self._qbo_mapping_tab(entity)
        where = self._qbo_mapping_path(tab) if tab else self.env._("the mapping screen")
        return self.env._(
            "The name '%(name)s' is already used in QuickBooks by %(holder)s: rename %(record)s in Odoo or that "
            "record in QuickBooks, or link them on %(where)s.",
            name=name, holder=holder, record="'%s'" % record.display_name if record else self.env._("the record"),
            where=where)

    @api.model
    def _qbo_explain_duplicate_number(self, error, context):
        """6140: the QuickBooks company wants unique document numbers."""
        found = DUPLICATE_NUMBER.search(error.detail or "")
        number = found[1] if found else context["payload"].get("DocNumber", "")
        other = found and self.env._("%(type)s %(id)s", type=found[2].lower(), id=found[3])
        if found:
            move = self.env["account.move"].sudo().search(
                [("company_id", "=", context["company"].id), ("qbo_id", "=", found[3])], limit=1)
            if move:
                other = self.env._("%(other)s, exported from %(name)s", other=other, name=move.name)
        return self.env._(
            "QuickBooks already has a document numbered %(number)s%(other)s and refuses a second one: change the "
            "number in Odoo or of that document in QuickBooks, or turn off \"Warn if duplicate number is used\" in "
            "QuickBooks (Account and settings > Advanced > Other preferences).",
            number=number, other=" (%s)" % other if other else "")

    @api.model
    def _qbo_explain_stale(self, error, context):
        """5010: someone saved the QuickBooks copy while Odoo was updating it."""
        return self.env._(
            "%(document)s was changed in QuickBooks while Odoo was updating it, so Odoo's version was not saved: "
            "export it again to send Odoo's version over the latest one.",
            document=upper_first(self._qbo_document_text(context)))

    @api.model
    def _qbo_explain_company_status(self, error, context):
        """6190: the QuickBooks subscription ended, lapsed or has a billing problem."""
        return self.env._(
            "The QuickBooks subscription of %(company)s has ended or has a billing problem (%(reason)s): QuickBooks "
            "accepts no change until it is renewed there; retry afterwards.",
            company=context["company"].name, reason=self._qbo_intuit_text(error))

    @api.model
    def _qbo_explain_closed_period(self, error, context):
        """6210: the books are closed in QuickBooks for the document's date."""
        date = context["payload"].get("TxnDate")
        when = self.env._(" on %s", date) if date else ""
        return self.env._(
            "The books are closed in QuickBooks%(when)s: move the closing date in QuickBooks (Account and settings "
            "> Advanced > Accounting > Close the books) or date the document after it.", when=when)

    @api.model
    def _qbo_explain_refusal(self, error, context):
        """6000 and every other refusal: Intuit's own explanation, cleaned of its codes and prefixes."""
        return self.env._("QuickBooks refused %(document)s: %(reason)s",
                          document=self._qbo_document_text(context), reason=self._qbo_intuit_text(error))

    @api.model
    def _qbo_explain_linked_deleted(self, context):
        """A document this one settles (a payment's invoice, say) was deleted in QuickBooks."""
        links = []
        stack = [context["payload"]]
        while stack:
            value = stack.pop()
            if isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, dict):
                if value.get("TxnId") and value.get("TxnType"):
                    links.append((value["TxnType"], str(value["TxnId"])))
                stack.extend(value.values())
        moves = self.env["account.move"].sudo().search([("company_id", "=", context["company"].id),
                                                         ("qbo_id", "in", [qbo_id for _type, qbo_id in links])])
        names = {move.qbo_id: move.name for move in moves}
        documents = ", ".join(
            f"{self._qbo_entity_label(txn_type)} {qbo_id}" + (f" ({names[qbo_id]})" if qbo_id in names else "")
            for txn_type, qbo_id in sorted(set(links))) or self.env._("a document this one is linked to")
        return self.env._("%(documents)s was deleted in QuickBooks, so this one cannot be linked to it there: "
                          "reconcile this one with another document in Odoo, then retry.", documents=upper_first(
                              self.env._("the QuickBooks %s", documents) if links else documents))

    @api.model
    def _qbo_explain_gone(self, context):
        """The document (or record) the call was about is not in QuickBooks any more."""
        return self.env._("%(document)s no longer exists in QuickBooks (deleted or made inactive there), so Odoo "
                          "cannot change it there.", document=upper_first(self._qbo_document_text(context)))

    # === REFERENCES === #

    @api.model
    def _qbo_references(self, error, payload):
        """Return ``[(entity, qbo_id)]`` the fault's element names in ``payload`` (every reference when
        the fault names no element)."""
        path = [part for part in (error.element or "").split(".") if part]
        key = path[-1] if path else None
        parent = path[-2] if len(path) > 1 else None
        refs = []
        stack = [(None, payload)]
        while stack:
            holder, value = stack.pop()
            if isinstance(value, list):
                stack.extend((holder, item) for item in value)
                continue
            if not isinstance(value, dict):
                continue
            for name, item in value.items():
                wanted = name == key if key else name in REFERENCE_ENTITIES
                if wanted and (not parent or holder == parent) and isinstance(item, dict) and item.get("value"):
                    entity = item.get("type") if name == "EntityRef" else REFERENCE_ENTITIES.get(name)
                    if entity and str(item["value"]) not in US_LINE_CODES and (entity, str(item["value"])) not in refs:
                        refs.append((entity, str(item["value"])))
                stack.append((name, item))
        return refs

    @api.model
    def _qbo_explain_references(self, error, refs, context, missing):
        """Name the QuickBooks records at fault, what they are linked to in Odoo, and where to link again."""
        refs = self._qbo_faulty_references(refs, context, verify=not error.element or len(refs) > 1)
        if refs:
            return " ".join(self._qbo_reference_sentence(entity, qbo_id, missing, context)
                            for entity, qbo_id in refs)
        if error.code == NOT_FOUND and "Id" in context["payload"]:
            return self._qbo_explain_gone(context)  # what it refers to is fine: the document itself is gone
        return self._qbo_explain_refusal(error, context)

    @api.model
    def _qbo_faulty_references(self, refs, context, verify):
        """Keep the references QuickBooks has inactive or not at all (one read per entity and run; the
        records read also give their names); without a client, or when asked not to verify, all of them."""
        client = context["client"]
        if not (verify and client and refs):
            return refs
        faulty = []
        for entity in dict.fromkeys(entity for entity, _qbo_id in refs):
            ids = sorted(qbo_id for ref_entity, qbo_id in refs if ref_entity == entity)
            docs = self._qbo_read_names(client, entity, ids, context["cache"])
            if docs is None:
                return refs
            faulty += [(entity, qbo_id) for qbo_id in ids
                       if qbo_id not in docs or docs[qbo_id].get("Active") is False]
        return faulty

    @api.model
    def _qbo_read_names(self, client, entity, ids, cache):
        """Return ``{Id: doc}`` of these records, inactive ones included, or None when QuickBooks cannot
        tell; what was read is kept in ``cache`` (a read, safe to repeat)."""
        known = cache.setdefault(entity, {})
        todo = [qbo_id for qbo_id in ids if qbo_id not in known]
        if todo:
            literal = ", ".join("'%s'" % qbo_id.replace("'", "") for qbo_id in todo)
            try:
                docs = client.query_all(entity, where=f"Id IN ({literal}) AND Active IN (true, false)")
            except QboApiError:
                return None
            known.update(dict.fromkeys(todo, {}))
            known.update((str(doc["Id"]), doc) for doc in docs)
        return {qbo_id: known[qbo_id] for qbo_id in ids if known[qbo_id]}

    @api.model
    def _qbo_reference_sentence(self, entity, qbo_id, missing, context):
        """One sentence on one QuickBooks record at fault: its name, its Odoo record and what to do."""
        company = context["company"]
        mapping = self.env["qbo.mapping"].sudo().search([
            ("company_id", "=", company.id), ("qbo_entity", "in", MAPPING_ENTITIES.get(entity, (entity,))),
            ("qbo_id", "=", qbo_id)], limit=1)
        name, linked, label = mapping.qbo_name, None, ODOO_LABELS.get((mapping.res_model, mapping.qbo_entity))
        mapping_entity = mapping.qbo_entity or entity
        if mapping and mapping.res_model in self.env:
            linked = self.env[mapping.res_model].sudo().browse(mapping.res_id).exists()
        elif entity == "TaxCode":
            tax_maps = self.env["qbo.tax.map"].sudo().search([("company_id", "=", company.id),
                                                              ("qbo_tax_code_id", "=", qbo_id)])
            name, linked = tax_maps[:1].qbo_tax_code_name, tax_maps.tax_id
            label = ODOO_LABELS[("account.tax", "TaxCode")]
        doc = context["cache"].get(entity, {}).get(qbo_id) or {}
        values = {
            "kind": self._qbo_entity_label(mapping_entity if mapping_entity == PROJECT_ENTITY else entity),
            "name": name or doc.get(NAME_FIELDS.get(entity, "Name")) or f"#{qbo_id}",
            "state": self.env._("no longer exists") if missing else self.env._("is inactive or deleted"),
        }
        if not linked:
            return self.env._("The QuickBooks %(kind)s '%(name)s' used here %(state)s in QuickBooks: reactivate or "
                              "recreate it there, or choose another one in Odoo.", **values)
        values.update(label=self.env._(label) if label else self.env._("record"),
                      odoo=", ".join("'%s'" % record.display_name for record in linked[:3]))
        tab = self._qbo_mapping_tab(mapping_entity)
        if not tab:
            return self.env._("The QuickBooks %(kind)s '%(name)s' (linked to Odoo %(label)s %(odoo)s) %(state)s in "
                              "QuickBooks: reactivate it there.", **values)
        values["where"] = self._qbo_mapping_path(tab)
        if missing:
            return self.env._("The QuickBooks %(kind)s '%(name)s' (linked to Odoo %(label)s %(odoo)s) %(state)s in "
                              "QuickBooks: link the %(label)s to another %(kind)s on %(where)s.", **values)
        return self.env._("The QuickBooks %(kind)s '%(name)s' (linked to Odoo %(label)s %(odoo)s) %(state)s in "
                          "QuickBooks: reactivate it there or link the %(label)s to another %(kind)s on %(where)s.",
                          **values)

    # === TOOLING === #

    @api.model
    def _qbo_entity_label(self, entity, title=False):
        """What a user calls a QuickBooks entity, e.g. "credit memo" ("Credit memo" as a title)."""
        label = ENTITY_LABELS.get(entity)
        label = self.env._(label) if label else entity
        return upper_first(label) if title else label

    @api.model
    def _qbo_mapping_tab(self, mapping_entity):
        """The tab of the mapping screen holding links of ``mapping_entity``, or None."""
        kinds = {spec.entity: kind for kind, spec in KINDS.items()}
        kinds.update({CATEGORY_ENTITY: "category", PROJECT_ENTITY: "project"})
        kind = kinds.get(mapping_entity)
        if not kind:
            return None
        return dict(self.env["qbo.mapping.line"]._fields["kind"]._description_selection(self.env)).get(kind)

    @api.model
    def _qbo_mapping_path(self, tab):
        """Where the user links records of one kind, e.g. "Configuration > QuickBooks > Mapping (Products)"."""
        return self.env._("Configuration > QuickBooks > Mapping (%s)", tab)

    @api.model
    def _qbo_document_text(self, context):
        """E.g. "INV/2024/0001 (QuickBooks invoice 1001)", or "the QuickBooks invoice 1001" without an
        Odoo record."""
        record, entity, payload = context["record"], context["entity"], context["payload"]
        number = payload.get("DocNumber") or (record and "qbo_doc_number" in record._fields
                                              and record.qbo_doc_number) or payload.get("Id") or ""
        if not record and not entity:
            return self.env._("the request")
        label = self._qbo_entity_label(entity) if entity else self.env._("document")
        qbo_text = " ".join(filter(None, (self.env._("QuickBooks %s", label), number)))
        if not record:
            return self.env._("the %s", qbo_text)
        return f"{record.display_name} ({qbo_text})" if number and number != record.display_name \
            else record.display_name

    @api.model
    def _qbo_intuit_text(self, error):
        """Intuit's explanation without its code, its message repeated, nor its technical prefixes."""
        text = (error.detail or error.message or "").strip()
        for prefix in (error.message, "Business Validation Error", "message=", "Object Not Found"):
            if prefix and text.lower().startswith(prefix.lower()):
                text = text[len(prefix):].lstrip(" :-")
        text = " ".join(text.split())
        return text or error.message or self.env._("no reason given")
