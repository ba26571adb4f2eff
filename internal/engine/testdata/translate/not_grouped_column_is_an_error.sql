SELECT Title, COUNT(*) FROM Tasks GROUP BY Status
