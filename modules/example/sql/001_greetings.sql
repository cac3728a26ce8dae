-- How often each user has been greeted.
CREATE TABLE example_greetings (
    username TEXT PRIMARY KEY,
    count {{bigint}} NOT NULL
);
