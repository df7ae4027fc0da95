-- Web sessions are tokens too (`kind = 'session'`): a signed-in browser's encrypted cookie
-- carries one, and every write it makes re-checks it in the writer's transaction exactly as an
-- API token is re-checked, so signing out (or out everywhere) or disabling the user stops it.
-- Token lists for people show `kind = 'api'` only.
ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'session'));
