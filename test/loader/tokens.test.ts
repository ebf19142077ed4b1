import {expect} from 'chai'
import {expandTokens, searchDirs} from '../../src/loader/tokens.js'

describe('resolve/tokens', () => {
  const values = {origin: '/opt/app/bin', lib: 'lib/x86_64-linux-gnu', platform: 'x86_64'}

  it('expands $ORIGIN, $LIB and $PLATFORM, braced or not', () => {
    expect(expandTokens('$ORIGIN/../lib', values)).to.equal('/opt/app/bin/../lib')
    expect(expandTokens('${ORIGIN}/x:$LIB', values)).to.equal('/opt/app/bin/x:lib/x86_64-linux-gnu')
    expect(expandTokens('/usr/$LIB/$PLATFORM/${PLATFORM}', values)).to.equal('/usr/lib/x86_64-linux-gnu/x86_64/x86_64')
  })

  it('leaves unknown and partial tokens as written', () => {
    expect(expandTokens('$ORIGINAL/$HOME/${LIBX}/$', values)).to.equal('$ORIGINAL/$HOME/${LIBX}/$')
    expect(expandTokens('no-token', values)).to.equal('no-token')
  })

  it('drops an element whose known token has no value', () => {
    expect(expandTokens('$ORIGIN/lib', {lib: 'lib'})).to.equal(undefined)
    expect(searchDirs('$ORIGIN/lib:/usr/x', {lib: 'lib'})).to.deep.equal(['/usr/x'])
  })

  it('splits search lists as fillin_rpath does', () => {
    expect(searchDirs('/a/:/b::/a:$ORIGIN', values)).to.deep.equal(['/a', '/b', '.', '/opt/app/bin'])
    expect(searchDirs('/a;/b:/c', values, /[:;]/)).to.deep.equal(['/a', '/b', '/c'])
    expect(searchDirs('/', values)).to.deep.equal(['/'])
  })
})
