SELECT p.Title, t.Title FROM Projects p LEFT JOIN Tasks t ON t.ProjectId = p.ID AND t.Done = 1 WHERE t.Estimate IS NULL OR t.Estimate > 3
