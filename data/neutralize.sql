-- A neutralized copy must never talk to the production QuickBooks company.
UPDATE qbo_connection
   SET state = 'disconnected',
       access_token = NULL,
       access_token_expires_at = NULL,
       refresh_token = NULL,
       refresh_token_expires_at = NULL,
       oauth_nonce = NULL;
UPDATE res_company
   SET qbo_client_secret = NULL;
UPDATE res_company
   SET qbo_webhook_verifier = NULL;
