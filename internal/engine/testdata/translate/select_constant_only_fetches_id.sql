SELECT 1 AS one, 'x' FROM Tasks
