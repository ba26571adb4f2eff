SELECT ID FROM Tasks WHERE Done = true OR NOT Done OR Done = 0
