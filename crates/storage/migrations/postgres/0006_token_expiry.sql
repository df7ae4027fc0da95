-- API tokens expire: `token create --expires-in 90d` (default 90 days) stores when the token
-- stops working. Tokens created before this migration have none and work until revoked.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
