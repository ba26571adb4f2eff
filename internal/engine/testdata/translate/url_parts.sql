SELECT Link, Link.Description FROM Tasks WHERE Link.Description = 'home'
