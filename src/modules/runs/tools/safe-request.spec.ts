import { connectOptions } from './safe-request';

describe('connectOptions', () => {
  it('connects to the address while speaking to the URL host (Host and SNI)', () => {
    const options = connectOptions(
      new URL('https://api.example.com/v1/search?q=a'),
      '93.184.216.34',
      'POST',
      {
        'X-Key': 'k',
        HOST: 'evil.example',
        'content-length': '1',
      },
    );
    expect(options).toEqual({
      host: '93.184.216.34',
      port: 443,
      path: '/v1/search?q=a',
      method: 'POST',
      headers: { 'X-Key': 'k', Host: 'api.example.com' },
      servername: 'api.example.com',
    });
  });

  it('keeps the port in Host and sets no SNI for plain http or an IP literal', () => {
    expect(connectOptions(new URL('http://svc.example:8080/'), '10.0.0.1', 'GET', {})).toEqual({
      host: '10.0.0.1',
      port: '8080',
      path: '/',
      method: 'GET',
      headers: { Host: 'svc.example:8080' },
    });
    const literal = connectOptions(new URL('https://[2606:4700::1111]/'), '2606:4700::1111', 'GET', {});
    expect(literal.servername).toBeUndefined();
    expect(literal.headers).toEqual({ Host: '[2606:4700::1111]' });
  });
});
