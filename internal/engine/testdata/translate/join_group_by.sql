SELECT p.Title, COUNT(t.ID) AS tasks, SUM(t.Estimate) FROM Projects p LEFT JOIN Tasks t ON t.ProjectId = p.ID GROUP BY p.Title ORDER BY tasks DESC
