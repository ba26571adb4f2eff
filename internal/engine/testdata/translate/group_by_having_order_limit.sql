SELECT Status, COUNT(*) AS n, SUM(Estimate) AS total, AVG(PercentComplete), MIN("Due Date"), MAX(Title)
FROM Tasks WHERE Done = 0 AND Title LIKE 'a%' AND LOWER(Title) <> 'x'
GROUP BY Status HAVING COUNT(*) > 2 AND total > 10 ORDER BY n DESC, 1 LIMIT 3
