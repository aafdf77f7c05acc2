import { attachmentDisposition } from '../../src/http/content-disposition';

describe('attachmentDisposition', () => {
  it.each([
    ['invoice.pdf', `attachment; filename="invoice.pdf"; filename*=UTF-8''invoice.pdf`],
    ['März "Q1";.pdf', `attachment; filename="M_rz _Q1__.pdf"; filename*=UTF-8''M%C3%A4rz%20%22Q1%22%3B.pdf`],
    ['../../etc/passwd', `attachment; filename="passwd"; filename*=UTF-8''passwd`],
    [
      'a\r\nSet-Cookie: x=1',
      `attachment; filename="a__Set-Cookie: x=1"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1`,
    ],
    ["it's (1)*.txt", `attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`],
    ['发票.pdf', `attachment; filename="__.pdf"; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf`],
    ['', `attachment; filename="file"; filename*=UTF-8''file`],
  ])('%j -> %s', (name, header) => {
    expect(attachmentDisposition(name)).toBe(header);
    expect(header).not.toMatch(/[\r\n]/);
  });
});
