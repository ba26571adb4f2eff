SELECT ID FROM Tasks WHERE Tags LIKE '%"Red"%' AND Effort > 2 AND Reviewers IS NULL AND Notes = 'x'
