SELECT ID FROM Tasks WHERE Project = 'Apollo' AND AssignedToId = 7 AND "Created By" = 'Jon Smith'
