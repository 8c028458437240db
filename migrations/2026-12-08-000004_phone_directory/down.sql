DROP TABLE phone_directory;
