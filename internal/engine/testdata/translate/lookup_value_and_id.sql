SELECT Project, ProjectId, Project.Title AS ProjectTitle, Author, AuthorId, Author.EMail FROM Tasks
