from odoo.tests import BaseCase, tagged

from ..qbo_master_data import (
    MasterDataError,
    exact_matches,
    fuzzy_matches,
    normalize_name,
    propose_pairs,
    similarity,
)


def cards(*names, **extra):
    return [{"id": index, "name": name, "email": None, "ref": None, **extra} for index, name in enumerate(names)]


@tagged("post_install", "-at_install")
class TestAutomatch(BaseCase):

    def test_normalize_name(self):
        """Accents, case, punctuation, '&' and trailing legal forms do not tell names apart."""
        self.assertEqual(normalize_name("Café  Dupont, Inc."), "cafe dupont")
        self.assertEqual(normalize_name("CAFE DUPONT INC"), "cafe dupont")
        self.assertEqual(normalize_name("Smith & Sons Ltd."), "smith and sons")
        self.assertEqual(normalize_name("Müller GmbH"), "muller")
        # a legal word alone, or inside the name, stays
        self.assertEqual(normalize_name("Company"), "company")
        self.assertEqual(normalize_name("The Company Store"), "the company store")

    def test_realistic_set(self):
        """Accents, 'Inc.' vs 'Inc', case and word order match; a near-duplicate does not."""
        odoo = [
            {"id": "o1", "name": "Société Générale", "email": None, "ref": None},
            {"id": "o2", "name": "Acme Inc.", "email": None, "ref": None},
            {"id": "o3", "name": "GLOBEX CORPORATION", "email": None, "ref": None},
            {"id": "o4", "name": "North Shore Bakery", "email": None, "ref": None},
            {"id": "o5", "name": "Smith, John", "email": None, "ref": None},
            {"id": "o6", "name": "Cool Cars 1", "email": None, "ref": None},
            {"id": "o7", "name": "Initech Consulting Group", "email": None, "ref": None},
        ]
        qbo = [
            {"id": "q1", "name": "Societe Generale", "email": None, "ref": None},
            {"id": "q2", "name": "Acme Inc", "email": None, "ref": None},
            {"id": "q3", "name": "Globex Corporation", "email": None, "ref": None},
            {"id": "q4", "name": "South Shore Bakery", "email": None, "ref": None},
            {"id": "q5", "name": "John Smith", "email": None, "ref": None},
            {"id": "q6", "name": "Cool Cars 2", "email": None, "ref": None},
            {"id": "q7", "name": "Initech Consultng Group", "email": None, "ref": None},
        ]
        pairs = {(p.odoo_id, p.qbo_id): (p.score, p.reason) for p in propose_pairs(odoo, qbo, 90)}
        self.assertEqual(pairs[("o1", "q1")], (100, "name"))
        self.assertEqual(pairs[("o2", "q2")], (100, "name"))
        self.assertEqual(pairs[("o3", "q3")], (100, "name"))
        self.assertEqual(pairs[("o5", "q5")][1], "similar")
        self.assertEqual(pairs[("o7", "q7")][1], "similar")
        self.assertGreaterEqual(pairs[("o7", "q7")][0], 90)
        # "North" is not a typo of "South", and store 1 is not store 2
        self.assertNotIn(("o4", "q4"), pairs)
        self.assertNotIn(("o6", "q6"), pairs)
        self.assertEqual(len(pairs), 5)

    def test_exact_rules_order_and_ambiguity(self):
        """Reference, then email, then name; a key shared on one side proposes nothing."""
        odoo = [
            {"id": 1, "name": "Widget", "email": None, "ref": "W-1"},
            {"id": 2, "name": "Jane Roe", "email": "JANE@example.com", "ref": None},
            {"id": 3, "name": "Info A", "email": "info@shared.com", "ref": None},
            {"id": 4, "name": "Info B", "email": "info@shared.com", "ref": None},
        ]
        qbo = [
            {"id": "a", "name": "Widget (old name)", "email": None, "ref": "w-1"},
            {"id": "b", "name": "Roe Consulting", "email": "jane@example.com", "ref": None},
            {"id": "c", "name": "Something Else", "email": "info@shared.com", "ref": None},
        ]
        pairs = exact_matches(odoo, qbo)
        self.assertEqual({(p.odoo_id, p.qbo_id, p.reason) for p in pairs},
                         {(1, "a", "reference"), (2, "b", "email")})

    def test_one_to_one(self):
        """Each record is proposed once, with its best partner."""
        pairs = fuzzy_matches(cards("Jonathan Baker", "Jonathon Baker"), cards("Jonathan Bakers"), 85)
        self.assertEqual(len(pairs), 1)
        self.assertEqual(pairs[0].odoo_id, 0)

    def test_threshold(self):
        """A higher threshold proposes fewer fuzzy pairs; out-of-range thresholds are refused."""
        score = similarity(normalize_name("Initech Consulting Group"), normalize_name("Initech Consultng Group"))
        odoo, qbo = cards("Initech Consulting Group"), cards("Initech Consultng Group")
        self.assertEqual(len(propose_pairs(odoo, qbo, score)), 1)
        self.assertEqual(propose_pairs(odoo, qbo, score + 1), [])
        with self.assertRaises(MasterDataError):
            propose_pairs(odoo, qbo, 0)
        with self.assertRaises(MasterDataError):
            propose_pairs(odoo, qbo, 101)

    def test_many_names(self):
        """Two thousand names on each side are matched one-to-one, each with its own twin."""
        odoo = [{"id": i, "name": f"Customer {i:04d} Trading", "email": None, "ref": None} for i in range(2000)]
        qbo = [{"id": f"q{i}", "name": f"CUSTOMER {i:04d} TRADING LLC", "email": None, "ref": None}
               for i in range(2000)]
        pairs = propose_pairs(odoo, qbo, 90)
        self.assertEqual(len(pairs), 2000)
        self.assertTrue(all(p.qbo_id == f"q{p.odoo_id}" for p in pairs))
