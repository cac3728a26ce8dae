-- What a running job is doing: '' or 'downloading' (from the source), 'uploading' (to S3,
-- for destination_type s3). Numbered 003 so that it follows 002 whichever lands first.
ALTER TABLE download_jobs ADD COLUMN phase TEXT NOT NULL DEFAULT '';
