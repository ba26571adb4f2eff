SELECT t.Title, p.Title AS project, p.Budget FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID AND p.Budget > 1000 WHERE t.Status = 'Done' AND p.Title LIKE 'X%' AND t.Estimate + p.Budget > 5
