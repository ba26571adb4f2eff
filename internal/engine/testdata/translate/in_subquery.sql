SELECT Title FROM Tasks WHERE ProjectId IN (SELECT ID FROM Projects WHERE Budget > 100) AND Status = 'Done'
