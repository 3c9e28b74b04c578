using System.Globalization;

namespace GeoRisk.Raster.MapAlgebra;

/// <summary>
/// Recursive-descent parser. Grammar (lowest precedence first):
/// or := and ("||" and)*; and := cmp ("&amp;&amp;" cmp)*; cmp := sum (("&lt;"|"&lt;="|"&gt;"|"&gt;="|"=="|"!=") sum)?;
/// sum := term (("+"|"-") term)*; term := unary (("*"|"/") unary)*; unary := "-" unary | power;
/// power := atom ("^" unary)?; atom := number | name | name "(" args ")" | "(" or ")" | "[" numbers "]".
/// Written by hand: the grammar is small and errors must carry the column, which parser generators would
/// add a dependency for.
/// </summary>
internal sealed class Parser
{
    private readonly string _text;
    private int _pos;

    private Parser(string text) => _text = text;

    public static Node Parse(string text)
    {
        var parser = new Parser(text);
        var node = parser.ParseOr();
        parser.SkipSpace();
        if (parser._pos < text.Length)
        {
            throw new ExpressionSyntaxException($"Unexpected '{text[parser._pos]}'", parser._pos + 1);
        }

        return node;
    }

    private Node ParseOr()
    {
        var left = ParseAnd();
        while (TryConsume("||", out var col))
        {
            left = new BinaryNode("||", left, ParseAnd(), col);
        }

        return left;
    }

    private Node ParseAnd()
    {
        var left = ParseComparison();
        while (TryConsume("&&", out var col))
        {
            left = new BinaryNode("&&", left, ParseComparison(), col);
        }

        return left;
    }

    private Node ParseComparison()
    {
        var left = ParseSum();
        foreach (var op in new[] { "<=", ">=", "==", "!=", "<", ">" })
        {
            if (TryConsume(op, out var col))
            {
                return new BinaryNode(op, left, ParseSum(), col);
            }
        }

        return left;
    }

    private Node ParseSum()
    {
        var left = ParseTerm();
        while (true)
        {
            if (TryConsume("+", out var col))
            {
                left = new BinaryNode("+", left, ParseTerm(), col);
            }
            else if (TryConsume("-", out col))
            {
                left = new BinaryNode("-", left, ParseTerm(), col);
            }
            else
            {
                return left;
            }
        }
    }

    private Node ParseTerm()
    {
        var left = ParseUnary();
        while (true)
        {
            if (TryConsume("*", out var col))
            {
                left = new BinaryNode("*", left, ParseUnary(), col);
            }
            else if (TryConsume("/", out col))
            {
                left = new BinaryNode("/", left, ParseUnary(), col);
            }
            else
            {
                return left;
            }
        }
    }

    private Node ParseUnary()
    {
        if (TryConsume("-", out var col))
        {
            return new UnaryNode('-', ParseUnary(), col);
        }

        if (TryConsume("+", out _))
        {
            return ParseUnary();
        }

        return ParsePower();
    }

    private Node ParsePower()
    {
        var atom = ParseAtom();
        return TryConsume("^", out var col) ? new BinaryNode("^", atom, ParseUnary(), col) : atom;
    }

    private Node ParseAtom()
    {
        SkipSpace();
        var start = _pos;
        if (_pos >= _text.Length)
        {
            throw new ExpressionSyntaxException("Expression ends too early", _pos + 1);
        }

        var c = _text[_pos];
        if (char.IsAsciiDigit(c) || c == '.')
        {
            return new NumberNode(ReadNumber(), start + 1);
        }

        if (c == '(')
        {
            _pos++;
            var inner = ParseOr();
            Expect(')');
            return inner;
        }

        if (c == '[')
        {
            return ParseList(start);
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            return ParseNameOrCall(start);
        }

        throw new ExpressionSyntaxException($"Unexpected '{c}'", start + 1);
    }

    /// <summary>A literal list of (optionally negative) numbers: <c>[1, -2.5, 3]</c>.</summary>
    private ArrayNode ParseList(int start)
    {
        _pos++;
        var values = new List<double>();
        SkipSpace();
        while (true)
        {
            SkipSpace();
            var negative = TryConsume("-", out _);
            SkipSpace();
            if (_pos >= _text.Length || !(char.IsAsciiDigit(_text[_pos]) || _text[_pos] == '.'))
            {
                throw new ExpressionSyntaxException("Expected a number in the list", _pos + 1);
            }

            values.Add(negative ? -ReadNumber() : ReadNumber());
            SkipSpace();
            if (TryConsume("]", out _))
            {
                return new ArrayNode(values, start + 1);
            }

            Expect(',');
        }
    }

    /// <summary>A variable, or a function call when the name is followed by an argument list.</summary>
    private Node ParseNameOrCall(int start)
    {
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        var name = _text[start.._pos];
        SkipSpace();
        if (_pos >= _text.Length || _text[_pos] != '(')
        {
            return new VariableNode(name, start + 1);
        }

        _pos++;
        var args = new List<Node>();
        SkipSpace();
        if (!TryConsume(")", out _))
        {
            do
            {
                args.Add(ParseOr());
            }
            while (TryConsume(",", out _));
            Expect(')');
        }

        return new CallNode(name.ToLowerInvariant(), args, start + 1);
    }

    private double ReadNumber()
    {
        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || _text[_pos] == '.'))
        {
            _pos++;
        }

        if (_pos < _text.Length && (_text[_pos] is 'e' or 'E'))
        {
            _pos++;
            if (_pos < _text.Length && _text[_pos] is '+' or '-')
            {
                _pos++;
            }

            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }
        }

        if (!double.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new ExpressionSyntaxException($"'{_text[start.._pos]}' is not a number", start + 1);
        }

        return value;
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (_pos >= _text.Length || _text[_pos] != c)
        {
            throw new ExpressionSyntaxException(
                _pos >= _text.Length ? $"Expected '{c}' before the end" : $"Expected '{c}' but found '{_text[_pos]}'", _pos + 1);
        }

        _pos++;
    }

    private bool TryConsume(string token, out int column)
    {
        SkipSpace();
        column = _pos + 1;
        if (string.CompareOrdinal(_text, _pos, token, 0, token.Length) != 0)
        {
            return false;
        }

        // "<" must not swallow the "<" of "<=", and "-" inside a number literal is handled by ParseUnary.
        if (token.Length == 1 && token[0] is '<' or '>' or '=' or '!' && _pos + 1 < _text.Length && _text[_pos + 1] == '=')
        {
            return false;
        }

        _pos += token.Length;
        return true;
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }
}
