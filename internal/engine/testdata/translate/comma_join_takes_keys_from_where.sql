SELECT COUNT(*) FROM Tasks, Projects WHERE Tasks.ProjectId = Projects.ID AND Projects.Budget < 5
