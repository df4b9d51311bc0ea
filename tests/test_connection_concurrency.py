import threading
import time
from contextlib import closing
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged

from ..qbo_client import QboAuthClient
from .common import QboCommittedConnectionMixin

REFRESH_DELAY = 0.5


@tagged("post_install", "-at_install")
class TestConnectionConcurrency(QboCommittedConnectionMixin, TransactionCase):
    """Refreshes on real, separate database connections, on data committed for the test and removed after.

    The sandbox rotates the refresh token on every refresh and kills the old one at once, so a
    refresh token spent twice would end in invalid_grant.
    """

    def stored_token(self):
        with self.real_env() as env:
            token = env["qbo.connection"].search([("company_id", "=", self.company_id)])
            return token.read(["state", "access_token", "refresh_token"])[0]

    def expire_access_token(self):
        with self.real_env() as env:
            env.cr.execute(
                "UPDATE qbo_connection SET access_token_expires_at = (now() AT TIME ZONE 'UTC') - interval '1 minute' "
                "WHERE company_id = %s", [self.company_id])

    def test_concurrent_refresh_spends_refresh_token_once(self):
        """Two workers find the token expired at once: one refreshes, the other waits and uses its token."""
        before = self.stored_token()
        self.expire_access_token()
        refresh_calls = []
        real_refresh = QboAuthClient.refresh

        def slow_refresh(client, refresh_token=None):
            # Hold the row lock long enough for the other worker to queue behind it.
            refresh_calls.append(refresh_token)
            time.sleep(REFRESH_DELAY)
            return real_refresh(client, refresh_token=refresh_token)

        barrier = threading.Barrier(2)
        results, durations, errors = {}, {}, []

        def worker(index):
            try:
                with self.real_env() as env:
                    company = env["res.company"].browse(self.company_id)
                    company.qbo_state  # noqa: B018 - the business transaction has read the company
                    barrier.wait(timeout=10)
                    start = time.monotonic()
                    results[index] = company._qbo_connection()._qbo_access_token()["access_token"]
                    durations[index] = time.monotonic() - start
            except Exception as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        with patch.object(QboAuthClient, "refresh", slow_refresh):
            self.run_workers(worker)
        self.assertFalse(errors, errors)
        self.assertEqual(len(refresh_calls), 1, "the refresh token was spent once")
        self.assertEqual(refresh_calls[0], before["refresh_token"])
        self.assertGreaterEqual(min(durations.values()), REFRESH_DELAY * 0.9, "both workers overlapped")
        after = self.stored_token()
        self.assertEqual(results[0], results[1])
        self.assertEqual(after["access_token"], results[0])
        self.assertEqual(after["state"], "connected")
        self.assertNotEqual(after["refresh_token"], before["refresh_token"])
        # The stored (rotated) refresh token is the live one.
        self.expire_access_token()
        with self.real_env() as env:
            env["res.company"].browse(self.company_id)._qbo_get_client().company_info()
        self.assertEqual(self.stored_token()["state"], "connected")

    def test_refresh_survives_business_rollback(self):
        """A refresh is committed on its own: rolling back the business transaction keeps the new tokens."""
        before = self.stored_token()
        self.expire_access_token()
        with closing(db_connect(self.dbname).cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(self.company_id)
            info = company._qbo_get_client().company_info()
            self.assertEqual(info["CompanyName"], "Sandbox Company_US_1")
            company.write({"qbo_company_name": "changed in a transaction that fails"})
            access_token = company._qbo_connection()._qbo_access_token()["access_token"]
            cr.rollback()
        after = self.stored_token()
        self.assertEqual(after["access_token"], access_token)
        self.assertNotEqual(after["refresh_token"], before["refresh_token"])
        self.expire_access_token()
        with self.real_env() as env:
            env["res.company"].browse(self.company_id)._qbo_get_client().company_info()
        self.assertEqual(self.stored_token()["state"], "connected")
