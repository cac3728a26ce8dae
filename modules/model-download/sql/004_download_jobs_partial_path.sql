-- Where a job keeps its partial file ('<target>.part') once its transfer began, so that a job
-- cancelled while queued after a pause leaves nothing behind in the models folder.
ALTER TABLE download_jobs ADD COLUMN partial_path TEXT NOT NULL DEFAULT '';
