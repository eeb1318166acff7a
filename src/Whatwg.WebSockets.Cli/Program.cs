System.Console.WriteLine("wsc");
