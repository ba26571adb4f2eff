SELECT Title, `Due Date`, "Percent Complete", [Assigned To], DueDate, percentcomplete FROM tasks
