-- 006: when the recipient's user reference was last seen.
--
-- recipient_state.user_ref is "the user of the newest event that named
-- one". Events arrive out of order, so an old event replayed late must not
-- replace the user an app attached more recently (an address that moved
-- from one account to another). Every other "newest" column of
-- recipient_state has a timestamp to compare with; this gives user_ref one.
-- Rows written before it have none (NULL): the next event that names a user
-- sets both, as it did before.
ALTER TABLE recipient_state ADD COLUMN user_ref_at timestamptz;
