-- `pagewright status` shows the most recent deployments of every tenant.
-- Row-level security binds the owner too (0001), so the owner reads across
-- tenants only through this policy, and only in a transaction that asks for
-- it with set_config('pagewright.operator', 'status', true). It is SELECT
-- only (a write still needs its tenant set) and names the owner alone: the
-- reader role (the gateway's queries) gains nothing.
CREATE POLICY operator_status ON deployments FOR SELECT TO CURRENT_USER
  USING (current_setting('pagewright.operator', true) = 'status');
