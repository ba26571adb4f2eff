SELECT Title, Estimate * 2 AS Double FROM Tasks ORDER BY Double DESC, Title LIMIT 5
