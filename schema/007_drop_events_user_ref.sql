-- 007: drop an index no query uses.
--
-- events_user_ref (user_ref, occurred_at) was made for looking events up by
-- the app's user id, but every user lookup goes through recipient_state's
-- own user_ref index (store/queries_read.cpp, recipients_by_user), and the
-- timelines read events by recipient. It is written for nine events in ten,
-- and its upkeep was about a tenth of the merge into events (the ceiling's
-- COPY + merge mode: 39-41 µs per event with it, 35 without). An operator who
-- needs ad hoc queries by user can join recipient_state on recipient.
DROP INDEX IF EXISTS events_user_ref;
