"""The user agreement and the privacy policy: their versions, pages, and each user's consent."""
