"""经营看板 (issue 20): the leaders' dashboard -- charts of the branches the reader may see,
each fed by one JSON endpoint with a table view and an xlsx download."""
