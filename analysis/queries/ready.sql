-- The schema is in place once the invocations table exists.
SELECT count() FROM system.tables WHERE database = ? AND name = 'invocations'
