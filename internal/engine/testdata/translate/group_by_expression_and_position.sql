SELECT YEAR(Created) AS y, Status, COUNT(DISTINCT AssignedToId) FROM Tasks GROUP BY 1, Status ORDER BY y
