-- Every change to the learned corrections is announced on one channel: the servers keep the rows they read per
-- term, and drop them when told (whoever wrote: a server, the CLI, a restore).
CREATE FUNCTION "coder_learning_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ccam_coder_learning', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "coder_learning_events_notify" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "coder_learning_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "coder_learning_notify"();
