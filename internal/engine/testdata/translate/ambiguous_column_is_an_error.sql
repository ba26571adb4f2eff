SELECT Title FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID
