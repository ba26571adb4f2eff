SELECT Title AS Name, "Due Date" FROM Tasks ORDER BY Name DESC, 2
