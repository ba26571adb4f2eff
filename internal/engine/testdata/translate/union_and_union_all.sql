SELECT Title FROM Tasks WHERE Status = 'Done' UNION SELECT Title FROM Projects UNION ALL SELECT 'extra' FROM Projects ORDER BY Title LIMIT 10
