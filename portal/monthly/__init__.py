"""Monthly supervision reports: PDF editions, the job that makes and revises them, the archive."""
