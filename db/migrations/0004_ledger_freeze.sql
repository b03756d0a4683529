-- A month's ledger is frozen once it is shared with the same-level DPF (a ledger_shares row exists):
-- its rows can no longer be inserted, updated or deleted, and the share record itself is immutable.
-- A correction after sharing is an amendment row in the month it is made (amends_id), never an edit.
-- The application checks first and answers 409; these triggers are the backstop.
CREATE OR REPLACE FUNCTION ledger_entries_frozen_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r ledger_entries%ROWTYPE;
BEGIN
  IF TG_OP = 'INSERT' THEN r := NEW; ELSE r := OLD; END IF;
  IF EXISTS (SELECT 1 FROM ledger_shares s WHERE s.county = r.county AND s.department = r.department AND s.month = r.month) THEN
    RAISE EXCEPTION '台账已共享，不可修改 (ledger %/%/% is shared and frozen; record an amendment instead)', r.county, r.department, r.month
      USING ERRCODE = '55000';
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.county, NEW.department, NEW.month) IS DISTINCT FROM (OLD.county, OLD.department, OLD.month)
     AND EXISTS (SELECT 1 FROM ledger_shares s WHERE s.county = NEW.county AND s.department = NEW.department AND s.month = NEW.month) THEN
    RAISE EXCEPTION '台账已共享，不可修改 (ledger %/%/% is shared and frozen)', NEW.county, NEW.department, NEW.month
      USING ERRCODE = '55000';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_frozen
  BEFORE INSERT OR UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_frozen_guard();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_shares_immutable_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '台账共享记录不可修改 (ledger shares are immutable)' USING ERRCODE = '55000';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_shares_immutable
  BEFORE UPDATE OR DELETE ON ledger_shares
  FOR EACH ROW EXECUTE FUNCTION ledger_shares_immutable_guard();
